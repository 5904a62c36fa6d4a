"""Benchmark: what grows with the number of units — provisioning, the hot API paths, a database
connection's memory — measured at each size on the way up to `--units` (30, 300, 3,000 by default).

    make bench-scale       (or: .venv/bin/python deploy/bench/scale.py --units 1000 --json /tmp/scale.json)

Scratch database jiannuo_bench_scale and Redis database 13 (dropped/flushed afterwards unless
--keep; --reuse measures a database kept earlier and provisions on from its units). Units are
spread over counties of 300, each unit with a committee, a branch and a member with a login
(the first unit with 200). At each size:

1. Provisioning: the last `--batch` units before the size are created one by one with
   `unit_create` (clone of the template) and timed, median and p95; the units before them are
   created by `--fill-workers` processes and not timed. Baselines in the same run: replaying every
   migration into an empty schema (`unit_create(method="migrate")`, the standard way, 3 units), and
   django-tenants' own clone_schema() (what Jiannuo used until this benchmark; one clone, rolled
   back, stopped after `--old-clone-limit` seconds).
2. API: gunicorn (deploy/gunicorn.conf.py, production settings) loaded by wrk as in
   deploy/bench/api.py: `/me`, the inbox and my pledges, each (a) by 200 members of one unit and
   (b) by one member in each of the units, every request to another unit — so each worker's
   database connection visits every schema and PostgreSQL's per-connection catalog caches grow
   with the units; each next to the bare DRF baseline measured just before it.
3. Memory of one database connection (PSS and RSS from /proc/<backend>/smaps_rollup, and
   PostgreSQL's CacheMemoryContext): fresh, then after reading the hot tables of K units (K = 30
   and every unit); and the gunicorn connections' backends after the spread run.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT), str(HERE)]

BENCH_DB = "jiannuo_bench_scale"
UNITS_PER_COUNTY = 300
FIRST_UNIT_MEMBERS = 200


def _load(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, HERE / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench_pledges = _load("bench_pledges", "pledges.py")
bench_api = _load("bench_api", "api.py")


# ------------------------------------------------------------------ provisioning

def slug(i: int) -> str:
    return f"s{i:05d}"


def county_for(i: int):
    from tenants.models import Jurisdiction
    from tenants.services import jurisdiction_create

    code = f"scale-k{i // UNITS_PER_COUNTY:03d}"
    county = Jurisdiction.objects.filter(code=code).first()
    if county is None:
        city = Jurisdiction.objects.get(code="scale-c")
        county = jurisdiction_create(name=f"县{i // UNITS_PER_COUNTY + 1}", code=code, level="county", parent=city)
    return county


def unit_seed(unit, i: int) -> None:
    """A committee, a branch and members with logins (FIRST_UNIT_MEMBERS in the first unit, one elsewhere)."""
    from datetime import date

    from accounts.models import UnitRole, User
    from tenants.organization.models import Member, Organization
    from tenants.services import unit_run

    count = FIRST_UNIT_MEMBERS if i == 0 else 1
    users = User.objects.bulk_create([User(username=f"{slug(i)}-{m:03d}", full_name=f"党员{m}", password="!") for m in range(count)])
    UnitRole.objects.bulk_create([UnitRole(user=user, unit=unit, role=UnitRole.Role.MEMBER) for user in users])
    with unit_run(unit):
        committee = Organization.objects.create(name="党委", kind=Organization.Kind.COMMITTEE)
        branch = Organization.objects.create(name="第一党支部", kind=Organization.Kind.BRANCH, parent=committee, sort_order=1)
        Member.objects.bulk_create([
            Member(user_id=user.pk, name=f"党员{m}", gender="male", birth_date=date(1970, 1, 1), joined_on=date(1995, 7, 1), post="村民",
                   tier=Member.Tier.RURAL_MEMBER, branch=branch) for m, user in enumerate(users)])


def provision(i: int, *, method: str = "clone") -> float:
    """Create unit number i; the seconds `unit_create` took (seeding not counted)."""
    from tenants.services import unit_create

    county = county_for(i)
    started = time.perf_counter()
    unit = unit_create(name=f"第{i + 1}单位", slug=slug(i), kind="township", county=county, method=method)
    elapsed = time.perf_counter() - started
    unit_seed(unit, i)
    return elapsed


def fill(start: int, stop: int, workers: int) -> None:
    """Units start..stop-1, untimed, by `workers` processes (this script with --fill-range)."""
    if stop <= start:
        return
    for i in range(start, stop, UNITS_PER_COUNTY // 2):  # the counties first: the processes would race to create them
        county_for(i)
    county_for(stop - 1)
    bounds = [start + (stop - start) * w // workers for w in range(workers + 1)]
    processes = [subprocess.Popen([sys.executable, __file__, "--fill-range", str(a), str(b)], env=os.environ.copy())
                 for a, b in zip(bounds, bounds[1:]) if b > a]
    for process in processes:
        if process.wait() != 0:
            raise SystemExit("a fill process failed")


def old_clone_seconds(limit: float) -> float | None:
    """django-tenants' clone_schema() of the template, rolled back; None if stopped at `limit`."""
    from django.conf import settings
    from django.db import OperationalError, connection, transaction
    from django_tenants.clone import CloneSchema

    started = time.perf_counter()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = '{int(limit * 1000)}ms'")
            CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, "u_old_clone_probe", set_connection=False)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
    except OperationalError:
        elapsed = None
    connection.set_schema_to_public()
    return elapsed


def catalog_size() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM pg_namespace), (SELECT count(*) FROM pg_class), (SELECT count(*) FROM pg_attribute), "
                       "pg_database_size(current_database())")
        schemas, relations, attributes, size = cursor.fetchone()
    return {"schemas": schemas, "relations": relations, "attributes": attributes, "database_mb": round(size / 2**20)}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# ------------------------------------------------------------------ memory per connection

def _backend_memory(conn, pid: int | None = None) -> dict:
    own = pid is None
    pid = pid or conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    kb = {k: int(v) for k, v in re.findall(r"^(Rss|Pss):\s+(\d+) kB", text, re.M)}
    memory = {"rss_mb": round(kb["Rss"] / 1024, 1), "pss_mb": round(kb["Pss"] / 1024, 1)}
    if own:
        cache, total = conn.execute("SELECT sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext'), sum(total_bytes) "
                                    "FROM pg_backend_memory_contexts").fetchone()
        memory.update(cache_context_mb=round(float(cache) / 2**20, 1), contexts_mb=round(float(total) / 2**20, 1))
    return memory


# What a request of the hot paths reads in a unit: its member, organisations, inbox and pledges.
HOT_READS = [
    "SELECT id, branch_id FROM organization_member WHERE user_id = 1",
    "SELECT id, parent_id FROM organization_organization WHERE id = 1",
    "SELECT count(*) FROM notifications_notification WHERE recipient_id = 1 AND read_at IS NULL",
    "SELECT p.id FROM pledges_pledge p JOIN pledges_round r ON r.id = p.round_id WHERE p.member_id = 1 LIMIT 20",
    "SELECT i.id FROM pledges_pledgeitem i WHERE i.pledge_id = 1",
]


def connection_memory(db_url: str, schemas: list[str], ks: list[int]) -> dict:
    """A fresh connection's memory, then after the hot reads in K units (one connection per K)."""
    import psycopg

    results = {}
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SELECT 1")
        results["fresh"] = _backend_memory(conn)
    for k in ks:
        with psycopg.connect(db_url, autocommit=True) as conn:
            for schema in schemas[:k]:
                conn.execute(f'SET search_path = "{schema}", public')
                for statement in HOT_READS:
                    conn.execute(statement)
            results[f"after {k} units"] = _backend_memory(conn)
    return results


def server_backends_memory(db_url: str) -> list[dict]:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")]
        found = []
        for pid in pids:
            try:
                found.append(_backend_memory(conn, pid))
            except OSError:
                pass
    return found


# ------------------------------------------------------------------ API

def scenarios_at(size: int, tokens: int) -> dict[str, list]:
    from accounts.models import User
    from accounts.tokens import tokens_issue

    def bearer(user) -> dict:
        return {"Authorization": f"Bearer {tokens_issue(user=user).access_token}"}

    first = [(slug(0), bearer(u)) for u in User.objects.filter(username__startswith=f"{slug(0)}-").order_by("pk")[:tokens]]
    spread = [(slug(i), bearer(u)) for i, u in enumerate(
        User.objects.filter(username__in=[f"{slug(i)}-000" for i in range(size)]).order_by("username"))]
    paths = {"/me": "me/", "inbox": "notifications/", "my pledges": "pledges/?mine=true"}
    scenarios = {}
    for name, tail in paths.items():
        scenarios[f"{name} · one unit"] = [(f"/api/v1/u/{s}/{tail}", h) for s, h in first]
        scenarios[f"{name} · spread over {len(spread)} units"] = [(f"/api/v1/u/{s}/{tail}", h) for s, h in spread]
    return scenarios


def api_at(*, size: int, args, server_env: dict, db_url: str, workdir: Path) -> dict:
    scenarios = scenarios_at(size, args.tokens)
    baseline = [("/bench/baseline/", {})]
    port = bench_pledges.free_port()
    env = {**server_env, "PORT": str(port)}
    server = bench_pledges.server_start(port=port, env=env, log_path=workdir / f"gunicorn-{size}.log")
    results = {}
    try:
        run = lambda requests, seconds: bench_api.wrk_run(port=port, requests=requests, seconds=seconds, connections=args.connections,
                                                           threads=2, workdir=workdir)
        run(baseline, 2)
        for name, requests in scenarios.items():
            bare = run(baseline, args.seconds / 2)
            if "spread" in name:
                run(requests, 2)  # every worker thread's connection has met the units once before the measure
            measured = run(requests, args.seconds)
            if measured["non2xx"] or measured["socket_errors"]:
                raise SystemExit(f"{name}: {measured['non2xx']} non-2xx, {measured['socket_errors']} socket errors "
                                 f"(see {workdir / f'gunicorn-{size}.log'})")
            results[name] = {**measured, "baseline_rps": bare["rps"], "baseline_p99": bare["p99"], "ratio": measured["rps"] / bare["rps"]}
            print(f"    {name:<36} {measured['rps']:7.0f} req/s ({measured['rps'] / bare['rps']:.2f}x bare {bare['rps']:.0f})  "
                  f"p99 {measured['p99']:6.0f} ms (bare {bare['p99']:.0f})", flush=True)
        results["server backends after the run"] = server_backends_memory(db_url)
    finally:
        bench_pledges.server_stop(server)
    return results


# ------------------------------------------------------------------ main

def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--sizes", default="30,300,3000", help="the sizes measured on the way (those above --units are left out)")
    parser.add_argument("--batch", type=int, default=30, help="units timed one by one before each size")
    parser.add_argument("--fill-workers", type=int, default=2, help="processes creating the untimed units between the batches")
    parser.add_argument("--old-clone-limit", type=float, default=120, help="seconds before django-tenants' clone is stopped")
    parser.add_argument("--seconds", type=float, default=6, help="wrk seconds per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=200, help="callers in the one-unit scenario")
    parser.add_argument("--no-api", action="store_true", help="provisioning and memory only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="measure the kept database and provision on from its units")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--fill-range", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.fill_range:  # a fill process: the environment is the parent's
        import django

        django.setup()
        for i in range(*args.fill_range):
            provision(i)
        return

    if shutil.which("wrk") is None and not args.no_api:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    sizes = [s for s in (int(x) for x in args.sizes.split(",")) if s <= args.units]
    if args.units not in sizes:
        sizes.append(args.units)
    reuse = args.reuse and bench_pledges.scratch_exists(db_name=BENCH_DB)
    redis_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    admin_url, db_url, redis_url = bench_pledges.scratch_create(db_name=BENCH_DB, redis_arg=f"{redis_base}/13", reuse=reuse)
    secret_key = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(64)  # shared with gunicorn: its tokens must verify there
    os.environ.update({"DATABASE_URL": db_url, "REDIS_URL": redis_url, "DJANGO_SECRET_KEY": secret_key, "DJANGO_DEBUG": "0",
                       "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "jiannuo.settings.dev"})
    server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_settings", "DJANGO_SECURE_SSL_REDIRECT": "0", "HOST": "127.0.0.1",
                  "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "platform"), str(ROOT)])}
    server_env.pop("DJANGO_DEBUG")
    # No worker recycling during the measure: at 3,000 units gunicorn's max_requests restarted every
    # worker in the middle of the last endpoint's run (seconds-long first requests, wrk timeouts).
    server_env["GUNICORN_CMD_ARGS"] = "--max-requests 0"
    workdir = Path(tempfile.mkdtemp(prefix="jiannuo-bench-scale-"))

    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tenants.models import Unit
    from tenants.services import jurisdiction_create, template_schema_ensure

    results: dict = {"machine": {"cores": os.cpu_count()}, "sizes": {}}
    try:
        if not reuse:
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
            template_schema_ensure()
            province = jurisdiction_create(name="省", code="scale-p", level="province")
            jurisdiction_create(name="市", code="scale-c", level="city", parent=province)
        have = Unit.objects.count()
        print(f"scratch database {BENCH_DB}: {have} units to start from; sizes {sizes}", flush=True)
        for size in sizes:
            if size <= have and not (reuse and size == sizes[-1] and size == have):
                continue
            entry: dict = {}
            if size > have:
                clone_times, migrate_times = [], []
                measured = min(size - have, args.batch + 3)  # 3 units by replaying migrations, then the batch by clone
                fill_from, fill_to = have, size - measured
                filling = time.perf_counter()
                fill(fill_from, fill_to, args.fill_workers)
                if fill_to > fill_from:
                    print(f"  filled units {fill_from}..{fill_to - 1} in {time.perf_counter() - filling:.0f} s "
                          f"({args.fill_workers} processes, not timed per unit)", flush=True)
                for i in range(fill_to, size):
                    if len(migrate_times) < min(3, measured - 1):
                        migrate_times.append(provision(i, method="migrate"))
                    else:
                        clone_times.append(provision(i))
                have = size
                old = old_clone_seconds(args.old_clone_limit)
                entry["provisioning"] = {
                    "clone_median_ms": round(statistics.median(clone_times) * 1000, 1), "clone_p95_ms": round(p95(clone_times) * 1000, 1),
                    "clone_units_timed": len(clone_times),
                    "migrate_median_ms": round(statistics.median(migrate_times) * 1000, 1) if migrate_times else None,
                    "migrate_units_timed": len(migrate_times),
                    "django_tenants_clone_ms": round(old * 1000, 1) if old is not None else None,
                    "django_tenants_clone_limit_s": args.old_clone_limit,
                }
                p = entry["provisioning"]
                print(f"  {size} units: clone median {p['clone_median_ms']:.0f} ms, p95 {p['clone_p95_ms']:.0f} ms ({len(clone_times)} units); "
                      f"replay migrations median {p['migrate_median_ms']} ms ({len(migrate_times)}); "
                      f"django-tenants clone {f'{old:.1f} s' if old is not None else f'> {args.old_clone_limit:.0f} s (stopped)'}",
                      flush=True)
            entry["catalog"] = catalog_size()
            print(f"  catalog: {entry['catalog']}", flush=True)
            schemas = list(Unit.objects.order_by("pk").values_list("schema_name", flat=True)[:size])
            ks = sorted({min(30, size), size})
            entry["connection_memory"] = connection_memory(db_url, schemas, ks)
            print(f"  one connection's memory: {entry['connection_memory']}", flush=True)
            if not args.no_api:
                print(f"  API at {size} units (wrk, {args.connections} connections, {args.seconds:g} s per endpoint):", flush=True)
                entry["api"] = api_at(size=size, args=args, server_env=server_env, db_url=db_url, workdir=workdir)
            results["sizes"][str(size)] = entry
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))
        report(results)
    finally:
        connection.close()
        if not args.keep:
            bench_pledges.scratch_drop(admin_url=admin_url, db_name=BENCH_DB, redis_url=redis_url)
    results["run_seconds"] = round(time.perf_counter() - started)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))
        print(f"results: {args.json}")
    print(f"total run time {results['run_seconds']} s (gunicorn logs: {workdir}){'; database kept: ' + BENCH_DB if args.keep else ''}")


def report(results: dict) -> None:
    sizes = results["sizes"]
    print("\n| units | clone median | clone p95 | baseline: replay migrations | baseline: django-tenants clone | relations in pg_class |")
    print("|---|---|---|---|---|---|")
    for size, entry in sizes.items():
        p = entry.get("provisioning")
        if p:
            old = f"{p['django_tenants_clone_ms'] / 1000:.1f} s" if p["django_tenants_clone_ms"] is not None else f"> {p['django_tenants_clone_limit_s']:.0f} s (stopped)"
            print(f"| {size} | {p['clone_median_ms']:.0f} ms | {p['clone_p95_ms']:.0f} ms | {p['migrate_median_ms']} ms | {old} | {entry['catalog']['relations']:,} |")
        else:
            print(f"| {size} | (reused, not provisioned in this run) | | | | {entry['catalog']['relations']:,} |")
    if any("api" in e for e in sizes.values()):
        print("\n| units | endpoint | req/s | × bare | p99 | bare req/s | bare p99 |")
        print("|---|---|---|---|---|---|---|")
        for size, entry in sizes.items():
            for name, r in entry.get("api", {}).items():
                if "rps" in r:
                    print(f"| {size} | {name} | {r['rps']:.0f} | {r['ratio']:.2f} | {r['p99']:.0f} ms | {r['baseline_rps']:.0f} | {r['baseline_p99']:.0f} ms |")
    print("\n| units | connection | PSS | RSS | CacheMemoryContext | all memory contexts |")
    print("|---|---|---|---|---|---|")
    for size, entry in sizes.items():
        for name, m in entry["connection_memory"].items():
            print(f"| {size} | {name} | {m['pss_mb']} MB | {m['rss_mb']} MB | {m['cache_context_mb']} MB | {m['contexts_mb']} MB |")
        backends = entry.get("api", {}).get("server backends after the run") or []
        if backends:
            print(f"| {size} | gunicorn's {len(backends)} connections after the spread run | max {max(b['pss_mb'] for b in backends)} MB | "
                  f"max {max(b['rss_mb'] for b in backends)} MB | | |")
    print("\nmigrating the units, serial and parallel: make bench-migrations (deploy/bench/migrations.py)")


if __name__ == "__main__":
    main()
