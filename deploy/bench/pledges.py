"""Benchmark: the pledge API under load and the monthly reminder run, on one unit of
3,000 members (9,000 items, 108,000 progress records), each next to a baseline
measured in the same run:

- API: production settings behind gunicorn (deploy/gunicorn.conf.py), 32 keep-alive
  clients; `GET /api/v1/ping/` (the framework alone) is the baseline for a member
  listing their own pledges and a branch secretary reading the branch ledger.
- Cadence: `monthly_reminders_send` (one set-based query) against a naive loop of
  two queries per member computing the same recipients; `overdue_detect` alone.

    make bench-pledges            (or: .venv/bin/python deploy/bench/pledges.py --seconds 15)

About two minutes at the defaults on two cores; --show-queries prints each request's SQL.

Runs against a scratch database (jiannuo_bench) on the configured server and drops it
afterwards; Redis database 10 of the configured server is the benchmark's own
(flushed at the end). Bulk-seeded data skips the services: it is benchmark data.
"""
from __future__ import annotations

import argparse
import http.client
import io
import itertools
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

BENCH_DB = "jiannuo_bench"
UNIT_SLUG = "bench"
PASSWORD = "bench-pass-1234"


# ------------------------------------------------------------------ load client
# Runs in spawned processes: nothing here imports Django.

def _get(holder: list, port: int, path: str, headers: dict) -> tuple[int, bytes]:
    """One GET on the thread's keep-alive connection; reconnect once if the server closed it
    (idle keep-alive timeout, or a worker recycled by max_requests)."""
    for attempt in (0, 1):
        if holder[0] is None:
            holder[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn = holder[0]
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.will_close:
                conn.close()
                holder[0] = None
            return response.status, body
        except (ConnectionError, http.client.BadStatusLine, http.client.CannotSendRequest, http.client.ResponseNotReady):
            conn.close()
            holder[0] = None
            if attempt:
                raise
    raise AssertionError("unreachable")


def _client_thread(holder, port, requests, first, measure_from, end_at, out) -> None:
    latencies, errors, samples = [], {}, []
    for n in itertools.count(first):
        path, headers = requests[n % len(requests)]
        started_wall, started = time.time(), time.perf_counter()
        if started_wall >= end_at:
            break
        try:
            status, body = _get(holder, port, path, headers)
        except OSError as exc:
            status, body = f"{type(exc).__name__}", str(exc).encode()
        elapsed = time.perf_counter() - started
        if started_wall < measure_from or started_wall + elapsed > end_at:
            continue  # warm-up, or finished after the window closed
        if status == 200:
            latencies.append(elapsed)
        else:
            errors[status] = errors.get(status, 0) + 1
            if len(samples) < 3:
                samples.append(f"{status} {path}: {body[:300]!r}")
    out.append((latencies, errors, samples))


def _client_process(port: int, threads: int, commands, results) -> None:
    holders = [[None] for _ in range(threads)]
    while True:
        command = commands.get()
        if command is None:
            return
        requests, first, start_at, measure_from, end_at = command
        time.sleep(max(0.0, start_at - time.time()))
        out: list = []
        workers = [
            threading.Thread(target=_client_thread, args=(holders[i], port, requests, first + i * 7, measure_from, end_at, out))
            for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        latencies, errors, samples = [], {}, []
        for lat, err, smp in out:
            latencies += lat
            samples += smp
            for status, count in err.items():
                errors[status] = errors.get(status, 0) + count
        results.put((latencies, errors, samples[:3]))


@dataclass
class Sample:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)

    def add(self, seconds: float, latencies: list[float], errors: dict, samples: list[str]) -> None:
        self.seconds += seconds
        self.latencies += latencies
        for status, count in errors.items():
            self.errors[status] = self.errors.get(status, 0) + count
        self.error_samples = (self.error_samples + samples)[:5]

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


class LoadClient:
    """processes × threads concurrent clients, each thread with its own keep-alive connection
    (several processes, so the client is not bound by one GIL)."""

    def __init__(self, *, port: int, processes: int, threads: int):
        context = multiprocessing.get_context("spawn")
        self.threads = threads
        self.results = context.Queue()
        self.commands = [context.Queue() for _ in range(processes)]
        self.processes = [
            context.Process(target=_client_process, args=(port, threads, commands, self.results), daemon=True)
            for commands in self.commands
        ]
        for process in self.processes:
            process.start()

    def run(self, requests: list, *, warmup: float, seconds: float, sample: Sample | None = None) -> Sample:
        sample = sample if sample is not None else Sample()
        start_at = time.time() + 0.3  # every process starts together
        measure_from = start_at + warmup
        end_at = measure_from + seconds
        for i, commands in enumerate(self.commands):
            commands.put((requests, i * self.threads * 7, start_at, measure_from, end_at))
        latencies, errors, samples = [], {}, []
        for _ in self.commands:
            lat, err, smp = self.results.get(timeout=seconds + warmup + 120)
            latencies += lat
            samples += smp
            for status, count in err.items():
                errors[status] = errors.get(status, 0) + count
        sample.add(seconds, latencies, errors, samples)
        return sample

    def close(self) -> None:
        for commands in self.commands:
            commands.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()


# ------------------------------------------------------------------ server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(*, port: int, env: dict, log_path: Path) -> subprocess.Popen:
    """gunicorn as deploy/Procfile runs it, with production settings."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    with open(log_path, "w") as log:  # gunicorn keeps its own copy of the descriptor
        process = subprocess.Popen(
            [str(gunicorn), "jiannuo.wsgi:application", "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return process
            conn.close()
        except OSError:
            pass
        time.sleep(0.3)
    server_stop(process)
    raise RuntimeError(f"gunicorn did not answer /healthz within 90 s:\n{log_path.read_text()[-3000:]}")


def server_stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def gunicorn_workers() -> int:
    return int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))


# ------------------------------------------------------------------ seeding

@dataclass
class Seeded:
    unit: object
    round: object
    members: int
    items: int
    records: int
    member_users: list  # (user, member_id) of every member
    secretaries: list  # (user, branch_id)
    late_item_ids: list[int]  # in progress, deadline passed: what overdue_detect turns overdue


def months_back(day: date, n: int) -> date:
    """The first of the month n months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def seed(*, members: int, branches: int, today: date) -> Seeded:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import UnitRole, User
    from tenants.services import jurisdiction_create
    from pledges.models import Pledge, PledgeItem, ProgressRecord
    from pledges.services import round_open
    from tenants.organization.models import Member, Organization
    from tenants.services import unit_create, unit_run

    call_command("migrate_platform", verbosity=0, stdout=io.StringIO())
    province = jurisdiction_create(name="Bench province", code="bench-p", level="province")
    city = jurisdiction_create(name="Bench city", code="bench-c", level="city", parent=province)
    county = jurisdiction_create(name="Bench county", code="bench-k", level="county", parent=city)
    unit = unit_create(name="Bench unit", slug=UNIT_SLUG, kind="township", county=county)

    password = make_password(PASSWORD)  # hashed once: hashing 3,000 times would take minutes
    phones = [f"1370{i:07d}" for i in range(members)]
    users = User.objects.bulk_create(
        [User(username=phone, phone=phone, full_name=f"Member {i:04d}", password=password) for i, phone in enumerate(phones)],
        batch_size=2000,
    )
    UnitRole.objects.bulk_create([UnitRole(user=user, unit=unit, role=UnitRole.Role.MEMBER) for user in users], batch_size=2000)

    now = timezone.now()
    this_month = today.replace(day=1)
    past_months = [months_back(today, n) for n in range(12, 0, -1)]  # the 12 months before this one, oldest first
    fulfil_on = past_months[0]
    dates = {
        "mobilise_on": fulfil_on - timedelta(days=70), "propose_on": fulfil_on - timedelta(days=60),
        "review_on": fulfil_on - timedelta(days=30), "publish_on": fulfil_on - timedelta(days=10), "fulfil_on": fulfil_on,
        "evaluate_on": today + timedelta(days=60), "ends_on": today + timedelta(days=90),
    }

    with unit_run(unit):
        committee = Organization.objects.bulk_create([Organization(name="Bench committee", kind=Organization.Kind.COMMITTEE)])[0]
        branch_rows = Organization.objects.bulk_create([
            Organization(name=f"Branch {b + 1:02d}", kind=Organization.Kind.BRANCH, parent=committee, sort_order=b + 1)
            for b in range(branches)
        ])
        member_rows = Member.objects.bulk_create([
            Member(
                user_id=users[i].pk, name=f"Member {i:04d}", gender="female" if i % 2 else "male",
                birth_date=date(1960 + i % 40, 1 + i % 12, 1 + i % 28), joined_on=date(1983 + i % 40 + i % 10, 7, 1),
                phone=phones[i], post="Clerk", tier=Member.Tier.AGENCY_MEMBER,
                is_exempt=i % 50 == 49, branch=branch_rows[i % branches],
            )
            for i in range(members)
        ], batch_size=2000)
        secretary_of = {}
        for branch, secretary in zip(branch_rows, member_rows[:branches]):  # member b is in branch b
            branch.secretary = secretary
            secretary_of[branch.pk] = secretary
        Organization.objects.bulk_update(branch_rows, ["secretary"])

        round = round_open(year=today.year, theme="Bench round", dates=dates)

        def pledge(**fields) -> Pledge:
            return Pledge(**{"state": Pledge.State.PUBLISHED, **fields}, round=round, version=1, submitted_at=now - timedelta(days=400),
                          approved_at=now - timedelta(days=390), published_at=now - timedelta(days=380))

        all_closed = [i % 100 == 3 for i in range(members)]
        pledges = Pledge.objects.bulk_create([
            pledge(subject=Pledge.Subject.MEMBER, member=m, organization=m.branch, reviewer_organization=m.branch,
                   reviewed_by=secretary_of[m.branch_id], created_by_user_id=m.user_id,
                   state=Pledge.State.COMPLETED if all_closed[i] else Pledge.State.PUBLISHED)
            for i, m in enumerate(member_rows)
        ] + [
            pledge(subject=Pledge.Subject.ORGANIZATION, organization=b, reviewer_organization=committee, title=f"{b.name} pledge")
            for b in branch_rows
        ], batch_size=2000)

        deadline = dates["evaluate_on"] - timedelta(days=1)
        kinds = [("post", "work"), ("deed", "service"), ("correction", "discipline")]
        items, records_of = [], []  # records_of[n]: the record dates of items[n]
        for i, (m, p) in enumerate(zip(member_rows, pledges)):
            days = [date(d.year, d.month, 15) for d in past_months]
            if i % 25 == 5:  # a few recorded this month already: no reminder for them
                days = days[1:] + [this_month]
            for position, (kind, area) in enumerate(kinds):
                state, due, closed = PledgeItem.State.IN_PROGRESS, deadline, all_closed[i]
                if position == 1 and i % 10 == 0:
                    due = today - timedelta(days=10)  # late: overdue_detect's work
                elif position == 1 and i % 10 == 1:
                    state, due = PledgeItem.State.OVERDUE, today - timedelta(days=20)
                elif position == 2 and i % 20 == 7:
                    closed = True
                if closed:
                    state = PledgeItem.State.CLOSED
                items.append(PledgeItem(
                    pledge=p, position=position, kind=kind, area=area, content=f"{m.name}: {kind} pledge {position + 1}",
                    measures="Monthly visits to every household in the village", deadline=due,
                    expected_effect="Every household visited and its needs written down",
                    shortcoming="Too few visits last year" if kind == "correction" else "", state=state,
                    record_count=len(days), last_record_on=days[-1],
                    closed_at=now - timedelta(days=5) if closed else None,
                    closed_by=secretary_of[m.branch_id] if closed else None,
                    close_evidence="Visits done, photos attached" if closed else "",
                ))
                records_of.append((m, days))
        for p in pledges[members:]:
            for position, (kind, area) in enumerate(kinds):
                items.append(PledgeItem(
                    pledge=p, position=position, kind=kind, area=area, content=f"Branch pledge {position + 1}",
                    measures="Quarterly meeting", deadline=deadline, shortcoming="Late meetings" if kind == "correction" else "",
                    state=PledgeItem.State.IN_PROGRESS,
                ))
        PledgeItem.objects.bulk_create(items, batch_size=3000)

        def records():
            for item, (member, days) in zip(items, records_of):
                for day in days:
                    yield ProgressRecord(item=item, author=member, recorded_on=day, text=f"Visited households on {day:%m-%d}")

        batches = iter(records())
        record_count = 0
        while batch := list(itertools.islice(batches, 10000)):
            ProgressRecord.objects.bulk_create(batch)
            record_count += len(batch)
        late = [item.pk for item in items if item.state == PledgeItem.State.IN_PROGRESS and item.deadline < today]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would have done by now on a live server

    by_user = {u.pk: u for u in users}
    return Seeded(
        unit=unit, round=round, members=members, items=len(items), records=record_count,
        member_users=[(by_user[m.user_id], m.pk) for m in member_rows],
        secretaries=[(by_user[s.user_id], b) for b, s in secretary_of.items()],
        late_item_ids=late,
    )


# ------------------------------------------------------------------ query counts

class QueryLog:
    """The statements run on this thread's connection (`with connection.execute_wrapper(log):`).
    django-tenants precedes each query with SET search_path; those are counted apart."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)

    @property
    def queries(self) -> list[str]:
        return [sql for sql in self.statements if not sql.startswith("SET search_path")]

    def __str__(self) -> str:
        return f"{len(self.queries)} (+{len(self.statements) - len(self.queries)} SET search_path)"


# ------------------------------------------------------------------ cadence

def reminders_naive(*, round, today: date) -> int:
    """The baseline: per member, one query for an open item and one for a record this month."""
    from django.db import transaction
    from django.utils.translation import gettext as _

    from notifications.services import notify
    from pledges.models import Pledge, PledgeItem, ProgressRecord
    from tenants.organization.models import Member

    month_start = today.replace(day=1)
    recipients = []
    for member_id, user_id in Member.objects.filter(is_exempt=False, user_id__isnull=False).values_list("pk", "user_id"):
        has_open = PledgeItem.objects.filter(
            pledge__round=round, pledge__state=Pledge.State.PUBLISHED, pledge__member_id=member_id, state__in=PledgeItem.OPEN_STATES,
        ).exists()
        if has_open and not ProgressRecord.objects.filter(
            item__pledge__round=round, item__pledge__member_id=member_id, recorded_on__gte=month_start,
        ).exists():
            recipients.append(user_id)
    with transaction.atomic():
        notify(recipient_ids=recipients, title=_("Record your pledge progress for %(month)s") % {"month": f"{today:%Y-%m}"},
               body=_("You have no progress record this month."), dedupe_key=f"monthly-reminder:{round.pk}:{today:%Y-%m}")
    return len(recipients)


def bench_cadence(seeded: Seeded, *, today: date, repeats: int) -> None:
    from django.db import connection

    from notifications.models import OutboxMessage
    from pledges.cadence import monthly_reminders_send, overdue_detect
    from pledges.models import PledgeEvent, PledgeItem
    from tenants.services import unit_run

    remind_on = today.replace(day=28)
    round = seeded.round
    key = f"monthly-reminder:{round.pk}:{remind_on:%Y-%m}"
    methods = {"jiannuo": monthly_reminders_send, "naive": reminders_naive}
    timings: dict[str, list[float]] = {name: [] for name in methods}
    recipients: dict[str, list[int]] = {}
    queries: dict[str, QueryLog] = {}
    with unit_run(seeded.unit):
        for rep in range(repeats + 1):  # the first pass warms up and counts queries; it is not timed
            for name in (methods if rep % 2 else reversed(methods)):  # alternate the order
                OutboxMessage.objects.filter(dedupe_key=key).delete()
                if rep == 0:
                    queries[name] = QueryLog()
                    with connection.execute_wrapper(queries[name]):
                        sent = methods[name](round=round, today=remind_on)
                else:
                    started = time.perf_counter()
                    sent = methods[name](round=round, today=remind_on)
                    timings[name].append(time.perf_counter() - started)
                ids = OutboxMessage.objects.get(dedupe_key=key).payload["recipient_ids"]
                assert sent == len(ids), (name, sent, len(ids))
                if name in recipients:
                    assert ids == recipients[name], f"{name}: recipients changed between runs"
                recipients[name] = ids
        OutboxMessage.objects.filter(dedupe_key=key).delete()
        assert recipients["jiannuo"] == recipients["naive"], (
            f"recipients differ: jiannuo {len(recipients['jiannuo'])}, naive {len(recipients['naive'])}")

        overdue: list[float] = []
        overdue_queries = QueryLog()
        changed = 0
        for rep in range(max(1, repeats // 2) + 1):  # again the first pass counts queries and is not timed
            PledgeItem.objects.filter(pk__in=seeded.late_item_ids).update(state=PledgeItem.State.IN_PROGRESS)
            PledgeEvent.objects.filter(action=PledgeEvent.Action.OVERDUE).delete()
            OutboxMessage.objects.filter(dedupe_key__startswith="overdue:").delete()
            if rep == 0:
                with connection.execute_wrapper(overdue_queries):
                    changed = overdue_detect(today=today)
            else:
                started = time.perf_counter()
                changed = overdue_detect(today=today)
                overdue.append(time.perf_counter() - started)
            assert changed == len(seeded.late_item_ids), (changed, len(seeded.late_item_ids))

    jiannuo, naive = statistics.median(timings["jiannuo"]), statistics.median(timings["naive"])
    print(f"\nmonthly reminder run on {remind_on} ({seeded.members} members), median of {repeats} runs each")
    print(f"  baseline: naive per-member loop   {naive * 1000:8.1f} ms   {len(recipients['naive']):5d} recipients   queries {queries['naive']}")
    print(f"  jiannuo:  monthly_reminders_send  {jiannuo * 1000:8.1f} ms   {len(recipients['jiannuo']):5d} recipients   queries {queries['jiannuo']}")
    print(f"  set-based is {naive / jiannuo:.1f}x faster; recipients identical")
    median = statistics.median(overdue)
    per_item = len(overdue_queries.queries) / max(changed, 1)
    print(f"overdue_detect: {changed} items turned overdue, median {median * 1000:.1f} ms of {len(overdue)} runs "
          f"({median / max(changed, 1) * 1000:.2f} ms and {per_item:.1f} queries per item; queries in all {overdue_queries})", flush=True)


# ------------------------------------------------------------------ API load

def queries_per_request(scenarios: dict[str, list], *, show: bool) -> dict[str, QueryLog]:
    """Each scenario's first request, replayed in-process with its queries (after one warm-up)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    logs = {}
    for name, requests in scenarios.items():
        path, headers = requests[0]
        extra = {"HTTP_AUTHORIZATION": headers["Authorization"]} if "Authorization" in headers else {}
        client.get(path, **extra)
        logs[name] = QueryLog()
        with connection.execute_wrapper(logs[name]):
            response = client.get(path, **extra)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        if show:
            print(f"\n{name}: {path} — queries {logs[name]}")
            for sql in logs[name].queries:
                print(f"  {sql[:400]}")
    connection.set_schema_to_public()
    return logs


def bench_api(*, port: int, args, query_counts: dict[str, QueryLog], scenarios: dict[str, list], server_log: Path) -> None:
    client = LoadClient(port=port, processes=args.processes, threads=args.threads)
    samples = {name: Sample() for name in scenarios}
    try:
        for requests in scenarios.values():  # warm every worker, connection and cache first
            client.run(requests, warmup=args.warmup, seconds=0.0)
        slice_seconds = args.seconds / args.slices
        names = list(scenarios)
        for s in range(args.slices):
            for name in names[s % len(names):] + names[:s % len(names)]:  # rotate the order each slice
                client.run(scenarios[name], warmup=0.5, seconds=slice_seconds, sample=samples[name])
    finally:
        client.close()

    clients = args.processes * args.threads
    print(f"\npledge API under load: {clients} clients ({args.processes} processes x {args.threads} threads, keep-alive), "
          f"gunicorn {gunicorn_workers()} workers x {os.environ.get('WEB_THREADS', '4')} threads, "
          f"{args.seconds:g} s per scenario in {args.slices} interleaved slices")
    print(f"  {'scenario':<18} {'requests':>9} {'RPS':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'vs baseline':>12}   queries per request")
    baseline = samples["baseline"].rps
    for name, sample in samples.items():
        errors = sum(sample.errors.values())
        print(f"  {name:<18} {len(sample.latencies):9d} {sample.rps:8.1f} {sample.percentile_ms(50):8.1f} {sample.percentile_ms(95):8.1f} {errors:7d} "
              f"{sample.rps / baseline if baseline else float('nan'):12.2f}   {query_counts[name]}")
    recycled = server_log.read_text().count("Autorestarting worker")
    if recycled:
        print(f"  (gunicorn recycled {recycled} workers during the run: max_requests in deploy/gunicorn.conf.py)")
    failed = {name: sample for name, sample in samples.items() if sample.errors}
    for name, sample in failed.items():
        print(f"  {name}: non-200 responses {sample.errors}")
        for line in sample.error_samples:
            print(f"    {line}")
    sys.stdout.flush()
    if failed:
        raise SystemExit("some requests failed (see above)")


# ------------------------------------------------------------------ scratch database and Redis

def scratch_exists(*, db_name: str) -> bool:
    import psycopg

    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiannuo"))
    with psycopg.connect(urlunparse(base._replace(path="/postgres")), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone() is not None


def scratch_create(*, db_name: str, redis_arg: str | None, reuse: bool = False) -> tuple[str, str, str]:
    """A fresh database on the configured server and the benchmark's own Redis database:
    (admin URL, database URL, Redis URL). With `reuse` the existing one is kept as it is."""
    import psycopg

    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiannuo"))
    admin_url = urlunparse(base._replace(path="/postgres"))
    configured_redis = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    redis_url = redis_arg or urlunparse(configured_redis._replace(path="/10"))
    if urlparse(redis_url) == configured_redis:
        raise SystemExit("the benchmark needs its own Redis database (it flushes it): pass another --redis-url")
    if not reuse:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {db_name}")
    return admin_url, urlunparse(base._replace(path=f"/{db_name}")), redis_url


def scratch_drop(*, admin_url: str, db_name: str, redis_url: str) -> None:
    import psycopg
    import redis

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    try:
        redis.Redis.from_url(redis_url).flushdb()
    except redis.RedisError as exc:
        print(f"could not flush the benchmark's Redis database {redis_url}: {exc}", file=sys.stderr)


# ------------------------------------------------------------------ main

def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per API scenario")
    parser.add_argument("--slices", type=int, default=3, help="each scenario's time is split into this many interleaved slices")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per scenario")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="client threads (connections) per process")
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--branches", type=int, default=30)
    parser.add_argument("--tokens", type=int, default=200, help="members whose pledge lists are requested")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of the reminder job per method")
    parser.add_argument("--redis-url", help="the benchmark's own Redis database (default: database 10 of REDIS_URL's server)")
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one request per scenario")
    args = parser.parse_args()

    admin_url, db_url, redis_url = scratch_create(db_name=BENCH_DB, redis_arg=args.redis_url)
    secret_key = secrets.token_urlsafe(64)  # shared with gunicorn: the tokens made here must verify there
    os.environ.update({
        "DATABASE_URL": db_url, "REDIS_URL": redis_url,
        "DJANGO_SECRET_KEY": secret_key, "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING",
    })
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings.dev")
    server_env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "jiannuo.settings.production", "DJANGO_SECURE_SSL_REDIRECT": "0",
        "HOST": "127.0.0.1", "PORT": str(free_port()),
    }
    server_env.pop("DJANGO_DEBUG")
    log_dir = Path(tempfile.mkdtemp(prefix="jiannuo-bench-"))

    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected static files; the API needs none
    django.setup()
    from django.db import connection
    from django.utils import timezone
    from accounts.tokens import tokens_issue

    server = None
    try:
        today = timezone.localdate()
        seeding = time.perf_counter()
        seeded = seed(members=args.members, branches=args.branches, today=today)
        print(f"seeded unit '{UNIT_SLUG}': {seeded.members} members in {args.branches} branches, {seeded.items} items, "
              f"{seeded.records} progress records in {time.perf_counter() - seeding:.1f} s", flush=True)

        step = max(1, len(seeded.member_users) // args.tokens)
        listed = seeded.member_users[::step][:args.tokens]

        def bearer(user) -> dict:
            return {"Authorization": f"Bearer {tokens_issue(user=user).access_token}"}

        api = f"/api/v1/u/{UNIT_SLUG}"
        scenarios = {
            "baseline": [("/api/v1/ping/", {})],
            "list-own-pledges": [(f"{api}/pledges/?mine=true", bearer(user)) for user, _member in listed],
            "branch-ledger": [(f"{api}/ledger/branches/{branch_id}/?page_size=50", bearer(user)) for user, branch_id in seeded.secretaries],
        }
        query_counts = queries_per_request(scenarios, show=args.show_queries)

        server_log = log_dir / "gunicorn.log"
        server = server_start(port=int(server_env["PORT"]), env=server_env, log_path=server_log)
        bench_api(port=int(server_env["PORT"]), args=args, query_counts=query_counts, scenarios=scenarios, server_log=server_log)
        server_stop(server)
        server = None

        bench_cadence(seeded, today=today, repeats=args.repeats)
    finally:
        server_stop(server)
        connection.close()
        scratch_drop(admin_url=admin_url, db_name=BENCH_DB, redis_url=redis_url)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s (gunicorn log: {log_dir / 'gunicorn.log'})")


if __name__ == "__main__":
    main()
