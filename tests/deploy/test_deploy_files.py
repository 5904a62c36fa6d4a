"""The deploy files validate offline (deploy/validate.py, also `make validate-deploy`): the Dockerfile,
compose.yaml and the Kustomize manifests. Each validator is also shown a broken copy and must refuse
it, so a validator that checks nothing (a wrong flag, a missing schema) fails here instead of passing."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("deploy_validate", REPO / "deploy" / "validate.py")
validate = sys.modules.setdefault("deploy_validate", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(validate)

KUSTOMIZATIONS = validate.kustomizations()
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (its built-in kustomize) is not installed")


def _passes(result) -> None:
    assert result.ok, f"{result.name}:\n{result.output}"


def _broken_copy(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    text = (REPO / relative).read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {relative}: update this test"
    copy = tmp_path / Path(relative).name
    copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


# --- YAML style ---------------------------------------------------------------------------------

def test_yaml_files_pass_yamllint():
    _passes(validate.yamllint())


def test_yamllint_refuses_a_duplicate_key(tmp_path):
    broken = _broken_copy(tmp_path, "compose.yaml", "    image: postgres:15\n", "    image: postgres:15\n    image: postgres:16\n")
    assert not validate.yamllint([broken]).ok


# --- compose.yaml -------------------------------------------------------------------------------

def test_compose_file_matches_the_compose_spec():
    _passes(validate.compose())


def test_the_compose_spec_check_refuses_an_unknown_condition(tmp_path):
    broken = _broken_copy(tmp_path, "compose.yaml", "condition: service_completed_successfully", "condition: service_finished")
    result = validate.compose(broken)
    assert not result.ok and "service_finished" in result.output


def test_compose_runs_every_role_once_migrated():
    spec = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = spec["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "celery-exporter"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15") and services["redis"]["image"].startswith("redis:7")
    for role in ("web", "worker", "beat"):
        assert services[role]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, role
        assert services[role]["image"] == services["migrate"]["image"], role  # one image for every role
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate_platform"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "/healthz/ready" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["celery-exporter"]["image"].startswith("danihodovic/celery-exporter:")


# --- Dockerfile ---------------------------------------------------------------------------------

def test_dockerfile_passes_hadolint():
    _passes(validate.dockerfile())


def test_hadolint_refuses_an_unpinned_base_image(tmp_path):
    broken = _broken_copy(tmp_path, "Dockerfile", "FROM python:3.11-slim-bookworm AS build", "FROM python:latest AS build")
    result = validate.dockerfile(broken)
    assert not result.ok and "DL3007" in result.output


def test_the_image_runs_gunicorn_as_a_non_root_user():
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    assert "USER 10001:10001" in lines
    assert 'CMD ["gunicorn", "jiannuo.wsgi:application", "-c", "deploy/gunicorn.conf.py"]' in lines
    assert any("collectstatic" in line for line in lines)
    assert "DJANGO_SETTINGS_MODULE=jiannuo.settings.production \\" in lines


# --- Kubernetes -------------------------------------------------------------------------------

@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(validate.K8S)))
def test_manifests_validate_against_the_kubernetes_schemas(directory):
    files = validate.resource_files(directory)
    assert files
    _passes(validate.manifests(files))


def test_kubernetes_validate_refuses_a_misspelt_field(tmp_path):
    broken = _broken_copy(tmp_path, "deploy/k8s/base/web-deployment.yaml", "readinessProbe:", "readinesProbe:")
    result = validate.manifests([broken])
    assert not result.ok and "readinesProbe" in result.output


def test_kubernetes_validate_refuses_a_wrong_type(tmp_path):
    broken = _broken_copy(tmp_path, "deploy/k8s/base/beat-deployment.yaml", "  replicas: 1\n", "  replicas: one\n")
    assert not validate.manifests([broken]).ok


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(validate.K8S)))
def test_kustomizations_are_whole(directory):
    assert validate.kustomization_problems(directory) == []


def _overlay_copy(tmp_path: Path) -> Path:
    shutil.copytree(validate.K8S, tmp_path / "k8s")
    return tmp_path / "k8s" / "overlays" / "production"


def test_the_kustomization_check_refuses_a_patch_of_nothing_and_a_missing_file(tmp_path):
    overlay = _overlay_copy(tmp_path)
    patch = overlay / "web-resources.yaml"
    patch.write_text(patch.read_text(encoding="utf-8").replace("name: jiannuo-web", "name: jiannuo-webb"), encoding="utf-8")
    (tmp_path / "k8s" / "base" / "web-pdb.yaml").unlink()
    (overlay / "forgotten.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: forgotten\n", encoding="utf-8")
    problems = validate.kustomization_problems(overlay)
    assert any("web-pdb.yaml does not exist" in p for p in problems), problems
    (tmp_path / "k8s" / "base" / "web-pdb.yaml").write_text((validate.K8S / "base" / "web-pdb.yaml").read_text(encoding="utf-8"))
    problems = validate.kustomization_problems(overlay)
    assert any("Deployment/jiannuo-webb" in p for p in problems), problems
    assert any("forgotten.yaml is in no kustomization" in p for p in problems), problems


@needs_kubectl
@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(validate.K8S)))
def test_rendered_manifests_validate_and_keep_our_rules(directory):
    result, documents = validate.render(directory)
    _passes(result)
    assert {doc["kind"] for doc in documents} >= {"Deployment", "Service", "Job", "ConfigMap", "PodDisruptionBudget"}
    assert validate.rule_problems(documents) == []


@needs_kubectl
def test_rendering_refuses_a_patch_of_nothing(tmp_path):
    overlay = _overlay_copy(tmp_path)
    patch = overlay / "web-resources.yaml"
    patch.write_text(patch.read_text(encoding="utf-8").replace("name: jiannuo-web", "name: jiannuo-webb"), encoding="utf-8")
    result, _documents = validate.render(overlay)
    assert not result.ok and "jiannuo-webb" in result.output


@needs_kubectl
def test_rendering_validates_what_a_patch_brings(tmp_path):
    overlay = _overlay_copy(tmp_path)
    patch = overlay / "web-resources.yaml"
    patch.write_text(patch.read_text(encoding="utf-8").replace("          resources:", "          resourcez:"), encoding="utf-8")
    result, _documents = validate.render(overlay)
    assert not result.ok and "resourcez" in result.output


@needs_kubectl
def test_the_rules_refuse_a_container_without_limits_a_root_pod_and_two_beats():
    _result, documents = validate.render(validate.K8S / "overlays" / "production")
    for doc in documents:
        if doc["metadata"]["name"] == "jiannuo-worker":
            del doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        if doc["metadata"]["name"] == "jiannuo-migrate":
            doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = False
        if doc["metadata"]["name"] == "jiannuo-beat":
            doc["spec"]["replicas"] = 2
    documents.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "jiannuo-secrets"}})
    problems = "\n".join(validate.rule_problems(documents))
    assert "jiannuo-worker container worker: no limits for cpu, memory" in problems
    assert "Job/jiannuo-migrate: the pod does not require a non-root user" in problems
    assert "jiannuo-beat must exist with replicas: 1" in problems
    assert "Secret/jiannuo-secrets" in problems


def test_make_validate_deploy_runs_these_checks():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "validate-deploy:" in makefile and "deploy/validate.py" in makefile
