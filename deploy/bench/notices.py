"""Benchmark: a county-wide notice, next to raw COPY of the same inbox rows and to one task per recipient.

    make bench-notices     (or: .venv/bin/python deploy/bench/notices.py --units 300 --members 334)

Seeds a scratch database (jiannuo_bench_notices, dropped afterwards) with a county of `--units` units ×
`--members` members, each with a login. Then, with a real Celery worker (2 processes) on the
notifications and county queues:

1. Jiannuo: the county admin's send (`county_notice_send`) → one unit task per unit → the unit's outbox
   fans the notice out set-based → each unit's counts pushed to the county's row. Timed from the send
   until the sender's counts show every unit delivered; inbox rows committed per second.
2. Baseline: PostgreSQL COPY of the same rows (recipient, notice, title, body, time) into every unit's
   inbox table, in the same run.
3. Baseline: one Celery task per recipient writing its inbox row through the ORM (the usual naive
   fan-out), on a sample of `--naive-sample` recipients, same worker; rows per second.
4. The county console (`/county/`): response time and number of queries with every unit in it.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT), str(ROOT / "deploy" / "bench")]
BRANCHES = 10
DB = "jiannuo_bench_notices"


def _django(db_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings.dev")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def seed(*, units: int, members: int):
    from datetime import date

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from accounts.models import JurisdictionRole, User
    from tenants.organization.models import Member, Organization
    from tenants.services import jurisdiction_create, template_schema_ensure, unit_create, unit_run

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_schema_ensure()
    province = jurisdiction_create(name="省", code="bench-p", level="province")
    city = jurisdiction_create(name="市", code="bench-c", level="city", parent=province)
    county = jurisdiction_create(name="县", code="bench-k", level="county", parent=city)
    admin = User.objects.create(username="county-admin", full_name="县委组织部", password=make_password("bench-pass-1"))
    JurisdictionRole.objects.create(user=admin, jurisdiction=county)
    made = []
    for u in range(units):
        unit = unit_create(name=f"第{u + 1}镇", slug=f"town-{u + 1:03d}", kind="township", county=county)
        users = User.objects.bulk_create([User(username=f"u{u:03d}-{i:05d}", full_name=f"党员{i}", password="!") for i in range(members)], batch_size=5000)
        with unit_run(unit):
            committee = Organization.objects.create(name="党委", kind=Organization.Kind.COMMITTEE)
            branches = Organization.objects.bulk_create([
                Organization(name=f"第{b + 1}党支部", kind=Organization.Kind.BRANCH, parent=committee, sort_order=b + 1) for b in range(BRANCHES)])
            Member.objects.bulk_create([
                Member(user_id=user.pk, name=f"党员{i}", gender="male", birth_date=date(1970, 1, 1), joined_on=date(1995, 7, 1), post="村民",
                       tier=Member.Tier.RURAL_MEMBER, branch=branches[i % BRANCHES]) for i, user in enumerate(users)], batch_size=5000)
        made.append(unit)
        if (u + 1) % 10 == 0:
            print(f"  {u + 1} units", flush=True)
    return admin, made


def start_worker(db_url: str, redis_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "jiannuo.settings.dev",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform"), str(ROOT / "deploy" / "bench")]), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([str(ROOT / ".venv/bin/celery"), "-A", "jiannuo", "worker", "-Q", "notifications,county,aggregation", "--concurrency", "2",
                             "-I", "notice_tasks", "--without-mingle", "--without-gossip", "-l", "WARNING"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_until(predicate, timeout: float, step: float = 0.05) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(step)
    raise SystemExit("timed out")


def jiannuo_fan_out(admin, units) -> tuple[float, int]:
    from django.db import transaction

    from oversight.models import CountyNoticeUnit
    from oversight.notices import county_notice_send

    started = time.perf_counter()
    with transaction.atomic():
        notice = county_notice_send(user=admin, title="关于开展年度承诺践诺工作的通知", body="请各单位于本月底前完成承诺公示。")

    def all_delivered():
        return not CountyNoticeUnit.objects.filter(notice=notice).exclude(status=CountyNoticeUnit.Status.DELIVERED).exists()

    wait_until(all_delivered, 3600)
    elapsed = time.perf_counter() - started
    rows = sum(CountyNoticeUnit.objects.filter(notice=notice).values_list("delivered", flat=True))
    return elapsed, rows


def copy_baseline(units) -> tuple[float, int]:
    """COPY the same rows (one per member with a login) into every unit's inbox, for a notice of its own."""
    from django.db import connection, transaction
    from django.utils import timezone

    from notifications.models import Notice
    from tenants.services import unit_run

    prepared = []
    for unit in units:
        with unit_run(unit):
            notice = Notice.objects.create(kind=Notice.Kind.ANNOUNCEMENT, title="COPY 基线", audience={"kind": "unit"})
            with connection.cursor() as cursor:
                cursor.execute("SELECT user_id FROM organization_member WHERE user_id IS NOT NULL")
                prepared.append((unit, notice.pk, [r[0] for r in cursor.fetchall()]))
    now = timezone.now().isoformat()
    started = time.perf_counter()
    rows = 0
    for unit, notice_id, ids in prepared:
        with unit_run(unit), transaction.atomic():
            buffer = io.StringIO("".join(f"{uid}\t{notice_id}\t关于开展年度承诺践诺工作的通知\t请各单位于本月底前完成承诺公示。\t{now}\n" for uid in ids))
            raw = connection.connection
            with raw.cursor() as cursor, cursor.copy(f'COPY "{unit.schema_name}".notifications_notification (recipient_id, notice_id, title, body, created_at) FROM STDIN') as copy:
                copy.write(buffer.getvalue())
            rows += len(ids)
    return time.perf_counter() - started, rows


def naive_baseline(units, sample: int) -> tuple[float, int]:
    """One task per recipient, each writing one inbox row through the ORM."""
    import redis as redis_client
    from django.conf import settings
    from django.db import connection

    from notifications.models import Notice
    from notice_tasks import COUNTER, naive_inbox_row
    from tenants.services import unit_run

    client = redis_client.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(COUNTER)
    per_unit = max(1, sample // len(units))
    started = time.perf_counter()
    sent = 0
    for unit in units:
        with unit_run(unit):
            notice = Notice.objects.create(kind=Notice.Kind.ANNOUNCEMENT, title="逐人任务基线", audience={"kind": "unit"})
            with connection.cursor() as cursor:
                cursor.execute("SELECT user_id FROM organization_member WHERE user_id IS NOT NULL ORDER BY id LIMIT %s", [per_unit])
                for (uid,) in cursor.fetchall():
                    naive_inbox_row.apply_async(args=(notice.pk, uid), queue="notifications")
                    sent += 1
        if sent >= sample:
            break
    wait_until(lambda: int(client.get(COUNTER) or 0) >= sent, 3600, step=0.2)
    return time.perf_counter() - started, sent


def dashboard(units, admin) -> tuple[float, int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from oversight.services import unit_figures_refresh
    from tenants.services import unit_run

    for unit in units:
        with unit_run(unit):
            unit_figures_refresh()
    connection.set_schema_to_public()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    # Past two-step verification, as a signed-in county admin's session is.
    device = TOTPDevice.objects.get_or_create(user=admin, name="bench", defaults={"confirmed": True})[0]
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    times = []
    for n in range(12):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/county/")
            times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"/county/ answered {response.status_code}")
    return statistics.median(times[2:]), len(queries), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--members", type=int, default=334)
    parser.add_argument("--naive-sample", type=int, default=3000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure the county already seeded in the scratch database")
    args = parser.parse_args()

    import psycopg

    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiannuo"))
    admin_url = urlunparse(base._replace(path="/postgres"))
    if not args.reuse:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB}")
    db_url = urlunparse(base._replace(path=f"/{DB}"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/12"
    _django(db_url, redis_url)
    import redis as redis_client
    from django.db import connection

    from accounts.models import User
    from tenants.models import Unit

    redis_client.Redis.from_url(redis_url).flushdb()
    worker = None
    try:
        started = time.perf_counter()
        if args.reuse:
            admin, units = User.objects.get(username="county-admin"), list(Unit.objects.filter(status="active").order_by("pk"))
        else:
            print(f"Seeding {args.units} units × {args.members} members …", flush=True)
            admin, units = seed(units=args.units, members=args.members)
            print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
        connection.close()
        worker = start_worker(db_url, redis_url)
        time.sleep(10)  # the worker's start

        elapsed, rows = jiannuo_fan_out(admin, units)
        copy_time, copy_rows = copy_baseline(units)
        naive_time, naive_rows = naive_baseline(units, args.naive_sample)
        ours, copy_rate, naive_rate = rows / elapsed, copy_rows / copy_time, naive_rows / naive_time
        print(f"\nA county-wide notice to {rows:,} members across {len(units)} units (worker: 2 processes)")
        print("| way | rows | time | inbox rows/s |")
        print("|---|---|---|---|")
        print(f"| baseline: PostgreSQL COPY, same rows | {copy_rows:,} | {copy_time:.2f} s | {copy_rate:,.0f} |")
        print(f"| baseline: one task per recipient (sample) | {naive_rows:,} | {naive_time:.2f} s | {naive_rate:,.0f} |")
        print(f"| Jiannuo: send → every unit delivered in the sender's counts | {rows:,} | {elapsed:.2f} s | {ours:,.0f} |")
        print(f"  Jiannuo = {ours / copy_rate:.2f}× COPY (goal ≥ 0.25×), {ours / naive_rate:.0f}× one task per recipient (goal ≥ 50×)")

        median, queries, _status = dashboard(units, admin)
        print(f"\nCounty console /county/ with {len(units)} units: median {median * 1000:.0f} ms, {queries} queries per request")
    finally:
        if worker is not None:
            os.killpg(worker.pid, 15)
            worker.wait(20)
        connection.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
