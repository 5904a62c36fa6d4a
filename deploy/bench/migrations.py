"""Benchmark: migrating many units — nothing to apply, and a one-column migration — serial and in
parallel, next to django-tenants' own per-unit migrate in the same run.

    make bench-migrations      (or: .venv/bin/python deploy/bench/migrations.py --units 300 --processes 4)
    .venv/bin/python deploy/bench/migrations.py --db jiannuo_bench_scale   # the units `make bench-scale --keep` left

Runs with deploy/bench/migration_settings.py: the development settings plus `bench_column`, a unit
app of two migrations (0001 creates a table, 0002 adds one nullable column). On a scratch database
(jiannuo_bench_migrations, dropped afterwards) it provisions `--units` units first; with `--db` it
uses that database's units as they are (and leaves `bench_column` in them).

1. A migration that creates a table (bench_column 0001 and 0002 together): `migrate_platform`'s
   units step, `--processes` at a time (only where the units lack the app: `--db`).
2. Nothing to apply: Jiannuo's units step (each unit's recorded migrations compared with the
   template's, no migration graph loaded), next to the baseline: django-tenants' `migrate_schemas`
   for one unit at a time, which loads Django's migration graph for each (on `--baseline-units`
   units; the total for all units is that per-unit time times the units, and says so).
3. One column (bench_column 0002, re-applied after it is undone in every unit by plain SQL): Jiannuo
   with one process (on `--serial-units` units, per unit and extrapolated alike) and with
   `--processes` processes over every unit.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT), str(HERE)]
SCRATCH_DB = "jiannuo_bench_migrations"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=300, help="units to provision on the scratch database")
    parser.add_argument("--db", help="measure this database's units instead (kept afterwards)")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--baseline-units", type=int, default=100, help="units django-tenants' migrate_schemas is timed on")
    parser.add_argument("--serial-units", type=int, default=300, help="units the one-process run is timed on")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    import psycopg

    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiannuo"))
    admin_url = urlunparse(base._replace(path="/postgres"))
    name = args.db or SCRATCH_DB
    if not args.db:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    os.environ["DATABASE_URL"] = urlunparse(base._replace(path=f"/{name}"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "migration_settings"
    os.environ["LOG_LEVEL"] = "WARNING"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tenants.migration import units_migrate
    from tenants.models import Jurisdiction, Unit
    from tenants.services import jurisdiction_create, template_schema_ensure, unit_create

    figures: dict = {"processes": args.processes}
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        template_schema_ensure()
        if not args.db:
            county = Jurisdiction.objects.filter(level="county").first()
            if county is None:
                province = jurisdiction_create(name="P", code="bench-p", level="province")
                city = jurisdiction_create(name="C", code="bench-c", level="city", parent=province)
                county = jurisdiction_create(name="K", code="bench-k", level="county", parent=city)
            for i in range(args.units):
                unit_create(name=f"Unit {i}", slug=f"mig-{i}", kind="township", county=county)
        units = list(Unit.objects.exclude(status=Unit.Status.PROVISIONING).order_by("pk"))
        figures["units"] = len(units)
        print(f"migrating units: {len(units)} units, {args.processes} processes "
              f"(2 cores; database {name})", flush=True)

        started = time.perf_counter()
        report = units_migrate(processes=args.processes)
        figures["create_table"] = {"seconds": time.perf_counter() - started, "migrated": len(report.migrated)}
        if report.migrated:
            print(f"  a migration creating a table, {len(report.migrated)} units, {args.processes} processes: "
                  f"{figures['create_table']['seconds']:.1f} s", flush=True)

        # 2. Nothing to apply.
        started = time.perf_counter()
        report = units_migrate(processes=args.processes)
        ours = time.perf_counter() - started
        assert not report.migrated and not report.failed, report
        sample = units[: args.baseline_units]
        started = time.perf_counter()
        for unit in sample:
            call_command("migrate_schemas", schema_name=unit.schema_name, tenant=True, interactive=False, verbosity=0)
        per_unit = (time.perf_counter() - started) / len(sample)
        connection.set_schema_to_public()
        figures["noop"] = {"jiannuo_seconds": ours, "baseline_per_unit": per_unit, "baseline_units_timed": len(sample),
                           "baseline_seconds_all": per_unit * len(units)}
        print(f"  nothing to apply:  baseline, django-tenants migrate_schemas one unit at a time: {per_unit * 1000:.0f} ms a unit "
              f"(timed on {len(sample)}) = {per_unit * len(units):.0f} s for {len(units)}", flush=True)
        print(f"                     jiannuo, units already up to date skipped:               {ours:.1f} s for {len(units)} "
              f"({per_unit * len(units) / ours:.0f}x faster)", flush=True)

        # 3. One column, undone by plain SQL in every unit, then re-applied.
        def undo(targets) -> None:
            with connection.cursor() as cursor:
                for unit in targets:
                    cursor.execute(f'ALTER TABLE "{unit.schema_name}".bench_column_benchnote DROP COLUMN remark')
                    cursor.execute(f"""DELETE FROM "{unit.schema_name}".django_migrations WHERE app = 'bench_column' AND name = '0002_remark'""")

        serial = units[: args.serial_units]
        undo(serial)
        started = time.perf_counter()
        report = units_migrate(processes=1, units=serial)
        serial_seconds = time.perf_counter() - started
        assert len(report.migrated) == len(serial) and not report.failed, report
        undo(units)
        started = time.perf_counter()
        report = units_migrate(processes=args.processes)
        parallel_seconds = time.perf_counter() - started
        assert len(report.migrated) == len(units) and not report.failed, report
        serial_all = serial_seconds / len(serial) * len(units)
        figures["one_column"] = {"serial_seconds": serial_seconds, "serial_units": len(serial),
                                 "serial_seconds_all": serial_all, "parallel_seconds": parallel_seconds}
        print(f"  one column:        serial, one process: {serial_seconds / len(serial) * 1000:.0f} ms a unit (timed on {len(serial)}) "
              f"= {serial_all:.0f} s for {len(units)}", flush=True)
        print(f"                     parallel, {args.processes} processes:   {parallel_seconds:.1f} s for {len(units)} "
              f"({serial_all / parallel_seconds:.1f}x faster)", flush=True)
    finally:
        connection.close()
        if not args.db:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
