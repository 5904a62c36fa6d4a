"""Benchmark: creating a unit by cloning the migrated template schema, next to the
baseline of replaying every migration into an empty schema, measured in the same run.

    make bench-provisioning            (or: .venv/bin/python deploy/bench/provisioning.py --units 10)

Runs against a scratch database (jiannuo_bench) on the configured server and drops it afterwards.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=8, help="units created per method")
    args = parser.parse_args()

    import psycopg

    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiannuo"))
    admin_url = urlunparse(base._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS jiannuo_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE jiannuo_bench")
    os.environ["DATABASE_URL"] = urlunparse(base._replace(path="/jiannuo_bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings.dev")
    os.environ["LOG_LEVEL"] = "WARNING"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tenants.services import jurisdiction_create
    from tenants.services import template_schema_ensure, unit_create

    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        template_schema_ensure()
        province = jurisdiction_create(name="P", code="bench-p", level="province")
        city = jurisdiction_create(name="C", code="bench-c", level="city", parent=province)
        county = jurisdiction_create(name="K", code="bench-k", level="county", parent=city)
        timings: dict[str, list[float]] = {"clone": [], "migrate": []}
        # Interleave the methods so machine noise hits both alike.
        for i in range(args.units):
            for method in ("migrate", "clone"):
                started = time.perf_counter()
                unit_create(name=f"{method} {i}", slug=f"{method}-{i}", kind="township", county=county, method=method)
                timings[method].append(time.perf_counter() - started)
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from information_schema.tables where table_schema = 'unit_template'")
            tables = cursor.fetchone()[0]
    finally:
        connection.close()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiannuo_bench WITH (FORCE)")

    clone, migrate = statistics.median(timings["clone"]), statistics.median(timings["migrate"])
    print(f"unit provisioning, {args.units} units per method, {tables} tables per unit schema")
    print(f"  baseline: replay migrations   median {migrate * 1000:7.1f} ms   max {max(timings['migrate']) * 1000:7.1f} ms")
    print(f"  jiannuo:  clone template      median {clone * 1000:7.1f} ms   max {max(timings['clone']) * 1000:7.1f} ms")
    print(f"  clone is {migrate / clone:.1f}x faster")


if __name__ == "__main__":
    main()
