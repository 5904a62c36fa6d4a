"""Benchmark: the API's hot paths under load from wrk, next to a bare DRF baseline measured in
the same run, on the large benchmark unit (3,000 members × 3 items × 12 records) and on the
demo unit 红星镇.

    make bench-api        (or: .venv/bin/python deploy/bench/api.py --seconds 10)

The server is gunicorn with the project's own config (deploy/gunicorn.conf.py) and production
settings; the load is wrk (Debian package `wrk`), 32 keep-alive connections on 2 threads, each
scenario rotating through many callers. Printed per endpoint: requests/s, ratio to the
baseline, p50, p99, non-2xx answers, SQL statements per request (counted in-process), and the
CPU milliseconds per request spent in the web workers and in PostgreSQL during that run; then each
web worker's memory (RSS). Scratch database jiannuo_bench_api and Redis database 10, both
dropped/flushed afterwards.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT), str(HERE)]

BENCH_DB = "jiannuo_bench_api"
_spec = importlib.util.spec_from_file_location("bench_pledges", HERE / "pledges.py")
bench_pledges = importlib.util.module_from_spec(_spec)
sys.modules["bench_pledges"] = bench_pledges  # dataclasses look their module up there
_spec.loader.exec_module(bench_pledges)


def wrk_run(*, port: int, requests: list[tuple[str, dict]], seconds: float, connections: int, threads: int, workdir: Path) -> dict:
    """One wrk run cycling through `requests`; returns rps, p50/p99 in ms and non-2xx count."""
    lines = ["local reqs = {}"]
    for index, (path, headers) in enumerate(requests, 1):
        lua_headers = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
        lines.append(f'reqs[{index}] = wrk.format("GET", "{path}", {{{lua_headers}}})')
    lines += ["local i = math.random(#reqs)", "request = function() i = i % #reqs + 1; return reqs[i] end"]
    script = workdir / f"wrk-{secrets.token_hex(4)}.lua"
    script.write_text("\n".join(lines))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout

    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    time.sleep(3)  # let the server finish what wrk left in flight, so the next run starts on an idle server
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency("50"), "p99": latency("99"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(int(n) for n in errors.groups()[:3]) if errors else 0, "timeouts": int(errors.group(4)) if errors else 0}


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int, *, reaped: bool = False) -> float:
    """A process's CPU seconds (user + system), and with `reaped` those of its exited children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if reaped else 0)
    return ticks / _TICKS


def cpu_seconds(*, master_pid: int) -> dict[str, float]:
    """CPU time used so far by the web workers and by PostgreSQL's processes, counting those
    that have exited meanwhile (gunicorn recycles workers; backends end with their connection)."""
    def family(parent: int) -> float:
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True).stdout.split()
        return _cpu(parent, reaped=True) + sum(_cpu(int(pid)) for pid in children)
    postmaster = subprocess.run(["pgrep", "-o", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    return {"web": family(master_pid) - _cpu(master_pid), "db": family(int(postmaster[0])) if postmaster else 0.0}


def worker_rss_mb(master_pid: int) -> list[float]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return sizes


def scenarios_for(*, slug: str, members: list, secretaries: list, pledges: dict, tokens: int) -> dict[str, list]:
    """The issue's eight hot paths, each for many callers of the unit."""
    from accounts.tokens import tokens_issue

    def bearer(user) -> dict:
        return {"Authorization": f"Bearer {tokens_issue(user=user).access_token}"}

    api = f"/api/v1/u/{slug}"
    step = max(1, len(members) // tokens)
    chosen = [(user, member_id, bearer(user)) for user, member_id in members[::step][:tokens]]
    bosses = [(user, branch_id, bearer(user)) for user, branch_id in secretaries[:tokens]]
    return {
        "my pledges": [(f"{api}/pledges/?mine=true", h) for _u, _m, h in chosen],
        "branch pledges (20)": [(f"{api}/pledges/?branch={b}&page_size=20", h) for _u, b, h in bosses],
        "branch ledger (50)": [(f"{api}/ledger/branches/{b}/?page_size=50", h) for _u, b, h in bosses],
        "member ledger": [(f"{api}/ledger/members/{m}/", h) for _u, m, h in chosen],
        "pledge detail": [(f"{api}/pledges/{pledges[m]}/", h) for _u, m, h in chosen if m in pledges],
        "inbox": [(f"{api}/notifications/", h) for _u, _m, h in chosen],
        "/me": [(f"{api}/me/", h) for _u, _m, h in chosen],
        "public board": [(f"/u/{slug}/board/", {})],
    }


def unit_callers(slug: str) -> tuple[list, list, dict]:
    """(user, member id) of every member with a login, (user, branch id) of branch secretaries,
    and each member's pledge id in the current round."""
    from accounts.models import User
    from pledges.models import Pledge
    from pledges.selectors import round_current
    from tenants.models import Unit
    from tenants.organization.models import Member, Organization
    from tenants.services import unit_run

    with unit_run(Unit.objects.get(slug=slug)):
        members = list(Member.objects.filter(user_id__isnull=False).order_by("pk").values_list("user_id", "pk"))
        secretaries = list(Organization.objects.filter(kind=Organization.Kind.BRANCH, secretary__user_id__isnull=False)
                           .order_by("pk").values_list("secretary__user_id", "pk"))
        round = round_current()
        pledges = dict(Pledge.objects.filter(round=round, subject=Pledge.Subject.MEMBER).values_list("member_id", "pk"))
    users = User.objects.in_bulk([u for u, _ in members] + [u for u, _ in secretaries])
    return [(users[u], m) for u, m in members], [(users[u], b) for u, b in secretaries], pledges


def profile_in_process(scenarios: dict[str, list], query_counts: dict, *, repeats: int = 200) -> None:
    """CPU milliseconds per request through the whole Django stack (no server, no network
    parsing), then a pyinstrument profile of the costliest endpoint."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")

    def call(path, headers):
        extra = {"HTTP_AUTHORIZATION": headers["Authorization"]} if "Authorization" in headers else {}
        return client.get(path, **extra)

    costs, walls = {}, {}
    for name, requests in scenarios.items():
        for path, headers in requests[:20]:  # warm
            call(path, headers)
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(repeats):
            call(*requests[i % len(requests)])
        costs[name] = (time.process_time() - cpu) * 1000 / repeats
        walls[name] = (time.perf_counter() - wall) * 1000 / repeats
    connection.set_schema_to_public()
    print(f"\nin-process CPU per request ({repeats} requests each, test client):")
    print(f"  {'endpoint':<34} {'CPU ms':>7} {'x bare':>7} {'wall ms':>8} {'SQL':>4}  (wall: with the wait for PostgreSQL)")
    for name, ms in costs.items():
        print(f"  {name:<34} {ms:7.2f} {costs['baseline'] / ms:7.2f} {walls[name]:8.2f} {len(query_counts[name].queries):4d}")
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("(pip install pyinstrument for the profile of the costliest endpoint)")
        return
    worst = max((n for n in costs if n != "baseline"), key=costs.get)
    profiler = Profiler(interval=0.001)
    with profiler:
        for i in range(repeats // 4):
            call(*scenarios[worst][i % len(scenarios[worst])])
    connection.set_schema_to_public()
    print(f"\nprofile of '{worst}':")
    print(profiler.output_text(unicode=True, color=False, show_all=False, flat=bool(os.environ.get("FLAT")))[:int(os.environ.get("PROFILE_CHARS", "6000"))])


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--branches", type=int, default=30)
    parser.add_argument("--tokens", type=int, default=200, help="callers per endpoint")
    parser.add_argument("--redis-url", help="the benchmark's own Redis database (default: database 10 of REDIS_URL's server)")
    parser.add_argument("--profile", action="store_true",
                        help="no server, no wrk: each endpoint's in-process cost per request (test client), the heaviest in pyinstrument")
    parser.add_argument("--only", default="", help="only the endpoints whose name contains this")
    parser.add_argument("--show-queries", action="store_true", help="print each endpoint's SQL")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and reuse it next time (for --profile)")
    args = parser.parse_args()
    if shutil.which("wrk") is None and not args.profile:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    reuse = args.keep and bench_pledges.scratch_exists(db_name=BENCH_DB)
    admin_url, db_url, redis_url = bench_pledges.scratch_create(db_name=BENCH_DB, redis_arg=args.redis_url, reuse=reuse)
    os.environ.update({
        "DATABASE_URL": db_url, "REDIS_URL": redis_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING",
        "JIANNUO_DEMO": "1",  # this process loads the demo county into the scratch database
    })
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiannuo.settings.dev"
    port = bench_pledges.free_port()
    server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_settings", "DJANGO_SECURE_SSL_REDIRECT": "0", "JIANNUO_DEMO": "0",
                  "HOST": "127.0.0.1", "PORT": str(port), "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "platform"), str(ROOT)])}
    server_env.pop("DJANGO_DEBUG")
    workdir = Path(tempfile.mkdtemp(prefix="jiannuo-bench-api-"))

    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    server = None
    try:
        if not reuse:
            seeding = time.perf_counter()
            seeded = bench_pledges.seed(members=args.members, branches=args.branches, today=timezone.localdate())
            call_command("seed_demo", stdout=open(os.devnull, "w"))
            connection.set_schema_to_public()
            print(f"seeded the large unit '{bench_pledges.UNIT_SLUG}' ({seeded.members} members, {seeded.items} items, "
                  f"{seeded.records} records) and the demo county in {time.perf_counter() - seeding:.0f} s", flush=True)

        units = {}
        for slug in (bench_pledges.UNIT_SLUG, "hongxing"):
            members, secretaries, pledges = unit_callers(slug)
            units[slug] = scenarios_for(slug=slug, members=members, secretaries=secretaries, pledges=pledges, tokens=args.tokens)
        baseline = [("/bench/baseline/", {})]
        flat = {f"{slug} · {name}": requests for slug, scenarios in units.items() for name, requests in scenarios.items()
                if args.only in f"{slug} · {name}"}

        from django.conf import settings

        settings.ROOT_URLCONF = "bench_urls"  # the in-process query count sees the baseline too
        query_counts = bench_pledges.queries_per_request({"baseline": baseline, **flat}, show=args.show_queries)
        if args.profile:
            profile_in_process({"baseline": baseline, **flat}, query_counts)
            return

        server_log = workdir / "gunicorn.log"
        server = bench_pledges.server_start(port=port, env=server_env, log_path=server_log)
        for requests in [baseline, *flat.values()]:  # warm every worker and connection
            wrk_run(port=port, requests=requests, seconds=1, connections=args.connections, threads=args.threads, workdir=workdir)
        results, baselines = {}, []
        for name, requests in flat.items():  # the baseline before each endpoint: ratios from neighbouring runs
            before = cpu_seconds(master_pid=server.pid)
            baselines.append(wrk_run(port=port, requests=baseline, seconds=args.seconds / 2, connections=args.connections, threads=args.threads, workdir=workdir))
            after = cpu_seconds(master_pid=server.pid)
            served = baselines[-1]["rps"] * max(1, round(args.seconds / 2))
            baselines[-1].update(web_ms=(after["web"] - before["web"]) * 1000 / served, db_ms=(after["db"] - before["db"]) * 1000 / served)
            before = cpu_seconds(master_pid=server.pid)
            results[name] = wrk_run(port=port, requests=requests, seconds=args.seconds, connections=args.connections, threads=args.threads, workdir=workdir)
            after = cpu_seconds(master_pid=server.pid)
            served = results[name]["rps"] * max(1, round(args.seconds))
            results[name].update(baseline_rps=baselines[-1]["rps"], web_ms=(after["web"] - before["web"]) * 1000 / served,
                                 db_ms=(after["db"] - before["db"]) * 1000 / served)
        rss = worker_rss_mb(server.pid)

        print(f"\nwrk: {args.connections} keep-alive connections on {args.threads} threads, {args.seconds:g} s per endpoint; "
              f"gunicorn {bench_pledges.gunicorn_workers()} workers x {os.environ.get('WEB_THREADS', '4')} threads (deploy/gunicorn.conf.py)")
        mean_baseline = sum(b["rps"] for b in baselines) / len(baselines)
        first = baselines[0]
        print(f"  {'endpoint':<34} {'req/s':>8} {'x bare':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8} {'>10 s':>6} {'SQL/req':>8} {'web CPU':>8} {'PG CPU':>7}")
        print(f"  {'bare DRF, 20 rows, one query':<34} {mean_baseline:8.1f} {1.0:7.2f} {first['p50']:7.1f} {first['p99']:7.1f} {first['non2xx']:8d} {first['timeouts']:6d} {len(query_counts['baseline'].queries):8d} "
              f"{sum(b['web_ms'] for b in baselines) / len(baselines):8.2f} {sum(b['db_ms'] for b in baselines) / len(baselines):7.2f}")
        for name, r in results.items():
            print(f"  {name:<34} {r['rps']:8.1f} {r['rps'] / r['baseline_rps']:7.2f} {r['p50']:7.1f} {r['p99']:7.1f} {r['non2xx']:8d} {r['timeouts']:6d} "
                  f"{len(query_counts[name].queries):8d} {r['web_ms']:8.2f} {r['db_ms']:7.2f}")
        print("  (web CPU, PG CPU: milliseconds of CPU per request in the web workers and in PostgreSQL during that endpoint's run)")
        print(f"  (each ratio is to the baseline measured just before that endpoint; baseline range {min(b['rps'] for b in baselines):.0f}–{max(b['rps'] for b in baselines):.0f} req/s)")
        print(f"  web worker memory after the run (RSS): {', '.join(f'{mb:.0f} MB' for mb in rss)}")
        if any(r["non2xx"] or r["socket_errors"] for r in results.values()):
            for name, r in results.items():
                if r["non2xx"] or r["socket_errors"]:
                    print(f"  {name}: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors")
            raise SystemExit("some requests failed (see above and the gunicorn log)")
    finally:
        bench_pledges.server_stop(server)
        connection.close()
        if not args.keep:
            bench_pledges.scratch_drop(admin_url=admin_url, db_name=BENCH_DB, redis_url=redis_url)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s (gunicorn log: {workdir / 'gunicorn.log'})")


if __name__ == "__main__":
    main()
