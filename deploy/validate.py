"""Validates the deploy files offline: `make validate-deploy`, and the suite (tests/deploy).

- yamllint --strict (.yamllint) on every YAML file: compose.yaml, deploy/k8s, deploy/prometheus;
- check-jsonschema with its bundled compose-spec schema on compose.yaml;
- hadolint on the Dockerfile;
- kubernetes-validate --strict (it bundles the Kubernetes API schemas) on every manifest;
- each kustomization: what it lists exists, each patch meets a resource of its bases, and no manifest
  is left out; then, where kubectl is installed (its built-in kustomize), the rendered output is
  validated as above and held to our rules: resources and a non-root, read-only security context
  on every container, one image for every role, beat a single pod, the web pods' probes, a
  disruption budget for web, and no Secret (its values are never in the repository).

Nothing here needs a network, a cluster or Docker. Prints each check; exit status 1 if any fails.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "deploy" / "k8s"
BIN = Path(sys.executable).parent
YAML_FILES = ["compose.yaml", "deploy/k8s", "deploy/prometheus", ".yamllint"]


@dataclass
class Result:
    name: str
    ok: bool
    output: str = ""
    skipped: bool = False


def _tool(name: str) -> str:
    local = BIN / name
    return str(local) if local.exists() else name


def _run(name: str, argv: list[str], cwd: Path = REPO) -> Result:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)
    except FileNotFoundError as error:
        return Result(name, False, f"{argv[0]} is not installed ({error}): pip install -e '.[dev]'")
    return Result(name, done.returncode == 0, (done.stdout + done.stderr).strip())


def yamllint(paths: list[str | Path] | None = None, cwd: Path = REPO) -> Result:
    return _run("yamllint", [_tool("yamllint"), "--strict", "-c", str(REPO / ".yamllint"), *map(str, paths or YAML_FILES)], cwd)


def compose(path: Path = REPO / "compose.yaml") -> Result:
    return _run(f"compose-spec {path.name}", [_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)])


def dockerfile(path: Path = REPO / "Dockerfile") -> Result:
    return _run(f"hadolint {path.name}", [_tool("hadolint"), str(path)])


def manifests(paths: list[Path]) -> Result:
    return _run("kubernetes-validate --strict", [_tool("kubernetes-validate"), "--strict", "--no-warn", *map(str, paths)])


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _kustomization(directory: Path) -> dict:
    return yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))


def resource_files(directory: Path) -> list[Path]:
    """The whole resources a kustomization lists itself (not its bases), and the examples beside them."""
    listed = [directory / entry for entry in _kustomization(directory).get("resources", [])]
    return sorted([path for path in listed if path.is_file()] + list(directory.glob("*.example.yaml")))


def _resources(directory: Path) -> list[dict]:
    found = []
    for entry in _kustomization(directory).get("resources", []):
        path = directory / entry
        found += _resources(path) if path.is_dir() else _documents(path)
    return found


def kustomization_problems(directory: Path) -> list[str]:
    """What `kustomize build` would refuse, and what it would silently leave out, without kustomize."""
    problems: list[str] = []
    spec = _kustomization(directory)
    referenced = {directory / "kustomization.yaml"}
    for entry in spec.get("resources", []):
        path = directory / entry
        referenced.add(path)
        if path.is_dir():
            if not (path / "kustomization.yaml").is_file():
                problems.append(f"{directory.name}: resource {entry} is a folder without kustomization.yaml")
            else:
                problems += kustomization_problems(path)
        elif not path.is_file():
            problems.append(f"{directory.name}: resource {entry} does not exist")
    if problems:
        return problems
    present = {(doc.get("kind"), doc.get("metadata", {}).get("name")) for doc in _resources(directory)}
    for patch in spec.get("patches", []) + [{"path": p} for p in spec.get("patchesStrategicMerge", [])]:
        if "path" not in patch:
            continue
        path = directory / patch["path"]
        referenced.add(path)
        if not path.is_file():
            problems.append(f"{directory.name}: patch {patch['path']} does not exist")
            continue
        for doc in _documents(path):
            target = patch.get("target") or {"kind": doc.get("kind"), "name": doc.get("metadata", {}).get("name")}
            if (target.get("kind"), target.get("name")) not in present:
                problems.append(f"{directory.name}: patch {patch['path']} targets {target.get('kind')}/{target.get('name')}, which no resource is")
    for entry in spec.get("replicas", []):
        if ("Deployment", entry["name"]) not in present:
            problems.append(f"{directory.name}: replicas for {entry['name']}, which no Deployment is")
    for path in directory.glob("*.yaml"):
        if path not in referenced and not path.name.endswith(".example.yaml"):
            problems.append(f"{directory.name}: {path.name} is in no kustomization (neither a resource nor a patch)")
    return problems


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def render(directory: Path) -> tuple[Result, list[dict]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return Result(f"kustomize {_shown(directory)}", True, "kubectl is not installed: not rendered", skipped=True), []
    done = _run(f"kustomize {_shown(directory)}", [kubectl, "kustomize", str(directory)])
    if not done.ok:
        return done, []
    with tempfile.TemporaryDirectory() as scratch:
        rendered = Path(scratch) / "rendered.yaml"
        rendered.write_text(done.output + "\n", encoding="utf-8")
        checked = manifests([rendered])
    checked.name = f"kustomize {_shown(directory)} | kubernetes-validate --strict"
    return checked, [doc for doc in yaml.safe_load_all(done.output) if doc]


def _pod_templates(documents: list[dict]):
    for doc in documents:
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield doc, doc["spec"]["template"]["spec"]


def rule_problems(documents: list[dict]) -> list[str]:
    """Our own rules for what the cluster runs (the schemas say only what is well-formed)."""
    problems: list[str] = []
    by_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}
    app_images = set()
    for doc, pod in _pod_templates(documents):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            problems.append(f"{where}: the pod does not require a non-root user (securityContext.runAsNonRoot)")
        for container in pod.get("initContainers", []) + pod["containers"]:
            at = f"{where} container {container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                missing = {"cpu", "memory"} - set(resources.get(kind, {}))
                if missing:
                    problems.append(f"{at}: no {kind} for {', '.join(sorted(missing))}")
            security = container.get("securityContext", {})
            if security.get("allowPrivilegeEscalation") is not False or security.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{at}: needs allowPrivilegeEscalation: false and readOnlyRootFilesystem: true")
            if "ALL" not in security.get("capabilities", {}).get("drop", []):
                problems.append(f"{at}: does not drop all capabilities")
            if "celery-exporter" not in container["image"]:
                app_images.add(container["image"])
    if len(app_images) != 1:
        problems.append(f"web, worker, beat and the migration should run one image, not {sorted(app_images)}")
    beat = by_name.get(("Deployment", "jiannuo-beat"))
    if beat is None or beat["spec"].get("replicas") != 1 or beat["spec"].get("strategy", {}).get("type") != "Recreate":
        problems.append("Deployment/jiannuo-beat must exist with replicas: 1 and strategy Recreate (never two beats)")
    web = by_name.get(("Deployment", "jiannuo-web"))
    if web is None:
        problems.append("no Deployment/jiannuo-web")
    else:
        container = web["spec"]["template"]["spec"]["containers"][0]
        probes = {name: container.get(name, {}).get("httpGet", {}).get("path") for name in ("startupProbe", "livenessProbe", "readinessProbe")}
        if probes != {"startupProbe": "/healthz/live", "livenessProbe": "/healthz/live", "readinessProbe": "/healthz/ready"}:
            problems.append(f"Deployment/jiannuo-web probes: {probes}")
        labels = web["spec"]["template"]["metadata"]["labels"]
        budgets = [doc for doc in documents if doc["kind"] == "PodDisruptionBudget"
                   and doc["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        if not budgets:
            problems.append("no PodDisruptionBudget selects the web pods")
    if ("Job", "jiannuo-migrate") not in by_name:
        problems.append("no Job/jiannuo-migrate")
    if ("Deployment", "jiannuo-celery-exporter") not in by_name:
        problems.append("no Deployment/jiannuo-celery-exporter")
    problems += [f"Secret/{name}: secrets are created in the cluster, never kept here" for kind, name in by_name if kind == "Secret"]
    return problems


def kustomizations() -> list[Path]:
    return sorted(path.parent for path in K8S.rglob("kustomization.yaml"))


def checks() -> list[Result]:
    results = [yamllint(), compose(), dockerfile()]
    for directory in kustomizations():
        results.append(manifests(resource_files(directory)))
        results[-1].name += f" {directory.relative_to(REPO)}"
        problems = kustomization_problems(directory)
        results.append(Result(f"kustomization {directory.relative_to(REPO)}", not problems, "\n".join(problems)))
        rendered, documents = render(directory)
        results.append(rendered)
        if documents:
            problems = rule_problems(documents)
            results.append(Result(f"rules {directory.relative_to(REPO)}", not problems, "\n".join(problems)))
    return results


def main() -> int:
    failed = False
    for result in checks():
        state = "skipped" if result.skipped else "ok" if result.ok else "FAILED"
        print(f"{state:>7}  {result.name}")
        if not result.ok or result.skipped:
            print("         " + result.output.replace("\n", "\n         "))
        failed |= not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
