"""Benchmark: evaluation scores for a whole county, next to a naive per-member ORM loop that
computes the same numbers in the same run (and must find them equal).

    make bench-evaluations     (or: .venv/bin/python deploy/bench/evaluations.py --units 300 --members 300)

Seeds a scratch database (jiannuo_bench_eval, dropped afterwards) with a county of `--units`
units × `--members` members, each unit with its round in the evaluation phase and ballots from
every method: public panels (80% of each branch), every member's peer ballot, the leading team's
ballots, leader reviews, the organisation's assessment and self-evaluations. Then measures:

1. The full recompute of the county: Jiannuo's `scores_recompute` per unit (a few GROUP BY
   queries) against the naive loop (per member: read the branch's ballots and the member's
   reviews through the ORM, score them), both on 2 processes; first with every ballot still
   pending, then as the nightly run finds it (nothing changed since).
2. The latency from one public ballot to the updated county figure: a real Celery worker applies
   each ballot (`ballot_cast` → after commit `apply_scores` → the unit's row of the county table),
   against the naive path (after the ballot, the unit rescored member by member and its row written
   in the request).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

BRANCHES = 10
LEADERS = 3
GRADES = ["satisfied", "fairly_satisfied", "basically_satisfied", "dissatisfied"]
WEIGHTS = [55, 30, 10, 5]  # most grades are good, as in the sources' examples


def _django(db_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiannuo.settings.dev")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


# ------------------------------------------------------------------ seeding

def seed_unit(unit, *, members: int, today: date, rng: random.Random) -> None:
    from evaluations.models import BallotBox, BallotRight, Evaluation, PublicBallot, Review, SelfAssessment
    from evaluations.services import rights_issue
    from pledges.models import Pledge, PledgeItem
    from pledges.services import round_open
    from tenants.organization.models import Member, Organization
    from tenants.services import unit_run

    with unit_run(unit):
        committee = Organization.objects.create(name="党委", kind=Organization.Kind.COMMITTEE)
        branches = Organization.objects.bulk_create([
            Organization(name=f"第{b + 1}党支部", kind=Organization.Kind.BRANCH, parent=committee, sort_order=b + 1) for b in range(BRANCHES)])
        people = Member.objects.bulk_create([
            Member(name=f"党员{i:03d}", gender="male" if i % 2 else "female", birth_date=date(1950 + i % 30, 1 + i % 12, 1 + i % 28),
                   joined_on=date(1985 + i % 30, 7, 1), post="村民",
                   tier=Member.Tier.TOWNSHIP_LEADER if i < LEADERS else Member.Tier.RURAL_MEMBER, branch=branches[i % BRANCHES])
            for i in range(members)], batch_size=2000)
        for branch, secretary in zip(branches, people[LEADERS:LEADERS + BRANCHES]):
            branch.secretary = secretary
        Organization.objects.bulk_update(branches, ["secretary"])
        dates = {"mobilise_on": today - timedelta(days=300), "propose_on": today - timedelta(days=290), "review_on": today - timedelta(days=270),
                 "publish_on": today - timedelta(days=260), "fulfil_on": today - timedelta(days=250), "evaluate_on": today - timedelta(days=5),
                 "ends_on": today + timedelta(days=25)}
        round = round_open(year=today.year, theme="年度承诺", dates=dates)
        evaluation = Evaluation.objects.create(round=round)
        rights_issue(evaluation=evaluation, today=today)
        pledges = Pledge.objects.bulk_create([
            Pledge(round=round, subject=Pledge.Subject.MEMBER, member=m, organization=m.branch, reviewer_organization=m.branch,
                   state=Pledge.State.PUBLISHED) for m in people], batch_size=2000)
        PledgeItem.objects.bulk_create([
            PledgeItem(pledge=p, position=n, kind="post", area="work", content="走访农户", measures="每周走访", deadline=today,
                       expected_effect="全部走访", state=PledgeItem.State.CLOSED if rng.random() < 0.8 else PledgeItem.State.IN_PROGRESS)
            for p in pledges for n in range(2)], batch_size=4000)

        def grade():
            return rng.choices(GRADES, WEIGHTS)[0]

        by_branch: dict[int, list[int]] = {}
        for m in people:
            by_branch.setdefault(m.branch_id, []).append(m.pk)
        public, box = [], {}  # box: (method, subject, grade) → count, as the members' ballots are kept

        def count(method, subject, grade):
            box[(method, subject, grade)] = box.get((method, subject, grade), 0) + 1

        for branch_id, ids in by_branch.items():
            for _n in range(-(-len(ids) * 80 // 100)):  # a quorum of 80% of the branch
                public.append(PublicBallot(evaluation=evaluation, branch_id=branch_id, cast_on=today, grades={str(pk): grade() for pk in ids}))
            for voter in ids:  # every member's peer ballot
                for pk in ids:
                    if pk != voter:
                        count("peer", pk, grade())
        leaders = [m.pk for m in people[:LEADERS]]
        for voter in leaders:
            for pk in leaders:
                if pk != voter:
                    count("team", pk, grade())
        PublicBallot.objects.bulk_create(public, batch_size=2000)
        BallotBox.objects.bulk_create([BallotBox(evaluation=evaluation, method=m, subject_id=pk, grade=g, count=n)
                                       for (m, pk, g), n in box.items()], batch_size=4000)
        BallotRight.objects.filter(evaluation=evaluation).delete()  # everyone has voted
        secretary_of = {b.pk: b.secretary_id for b in branches}
        Review.objects.bulk_create(
            [Review(evaluation=evaluation, method="leader", subject=m, reviewer_id=secretary_of[m.branch_id], reviewer_name="书记",
                    grade=grade(), reviewed_on=today) for m in people if m.pk != secretary_of[m.branch_id]]
            + [Review(evaluation=evaluation, method="organisation", subject=m, reviewer_name="单位", grade=grade(), reviewed_on=today) for m in people],
            batch_size=2000)
        SelfAssessment.objects.bulk_create([SelfAssessment(evaluation=evaluation, member=m, grade=grade(), report="述职") for m in people], batch_size=2000)


def seed(*, units: int, members: int, today: date):
    from django.core.management import call_command
    from django.db import connection

    from tenants.services import jurisdiction_create, template_schema_ensure, unit_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_schema_ensure()
    province = jurisdiction_create(name="省", code="bench-p", level="province")
    city = jurisdiction_create(name="市", code="bench-c", level="city", parent=province)
    county = jurisdiction_create(name="县", code="bench-k", level="county", parent=city)
    rng = random.Random(2026)
    made = []
    for u in range(units):
        unit = unit_create(name=f"第{u + 1}镇", slug=f"town-{u + 1:03d}", kind="township", county=county)
        seed_unit(unit, members=members, today=today, rng=rng)
        made.append(unit)
        if (u + 1) % 25 == 0:
            print(f"  seeded {u + 1} units", flush=True)
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum would have done by now on a live server
    return county, made


def complete_units(members: int):
    """Units of an earlier (interrupted) seeding whose data is all there: an evaluation, and every
    member's self-evaluation (the last thing seeded)."""
    from django.db import connection

    from tenants.models import Unit

    done = []
    with connection.cursor() as cursor:
        for unit in Unit.objects.order_by("pk"):
            cursor.execute("SELECT to_regclass(%s)", [f'"{unit.schema_name}".evaluations_selfassessment'])
            if cursor.fetchone()[0] is None:  # cut off while its schema was being made
                continue
            cursor.execute(f'SELECT count(*) FROM "{unit.schema_name}".evaluations_selfassessment')
            if cursor.fetchone()[0] == members:
                done.append(unit)
    return done


# ------------------------------------------------------------------ the naive way

def naive_unit(evaluation, *, detail: bool = False):
    """Every member of the unit scored one by one through the ORM, as straightforward code
    would: per member, read their branch's ballots and their reviews, then score."""
    from evaluations import scoring
    from evaluations.models import BallotBox, PublicBallot, Review, SelfAssessment
    from pledges.services.steps import LEADER_TIERS
    from tenants.organization.models import Member

    out, withheld, public_of = {}, set(), {}
    for member in Member.objects.filter(status__in=("active", "mobile")).order_by("pk"):
        key = str(member.pk)
        leader = member.tier in LEADER_TIERS
        scheme = evaluation.leader_scheme() if leader else evaluation.member_scheme()
        grades: dict[str, list[str]] = {}
        for ballot in PublicBallot.objects.filter(evaluation=evaluation, branch_id=member.branch_id):
            if key in ballot.grades:
                grades.setdefault("public", []).append(ballot.grades[key])
        for counted in BallotBox.objects.filter(evaluation=evaluation, subject=member):
            method = {"peer": "branch", "team": "team"}[counted.method] if leader else counted.method
            grades.setdefault(method, []).extend([counted.grade] * counted.count)
        if not leader:
            for review in Review.objects.filter(evaluation=evaluation, subject=member, stage="year_end"):
                grades.setdefault(review.method, []).append(review.grade)
        for assessment in SelfAssessment.objects.filter(evaluation=evaluation, member=member):
            grades.setdefault("self", []).append(assessment.grade)
        tallies = {method: scoring.tally(gs, scheme) for method, gs in grades.items()}
        result = scoring.member_result(tallies, scheme)
        out[member.pk] = (result.shown, result.grade.code if result.grade else "")
        # Left out of the unit's figures, as Jiannuo leaves them: one or two grades of an anonymous kind.
        anonymous = [len(grades.get(m, [])) for m in (("branch", "public", "team") if leader else ("peer", "public"))]
        if any(0 < n < 3 for n in anonymous):
            withheld.add(member.pk)
        public_of[member.pk] = grades.get("public", [])
    return (out, withheld, public_of) if detail else out


def naive_push(evaluation, found) -> None:
    """The unit's row of the county table from the naive scores (`naive_unit(…, detail=True)`)."""
    from collections import Counter
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from oversight.models import UnitEvaluationFigures
    from pledges.models import PledgeItem

    scores, withheld, public_of = found
    counted = {m: v for m, v in scores.items() if m not in withheld}
    scored = [sc for sc, _g in counted.values() if sc is not None]
    grades = Counter(g for _s, g in counted.values() if g)
    best_two = {g["code"] for g in evaluation.scale[:2]}
    public = sum(len(public_of[m]) for m in counted)
    top = sum(1 for m in counted for g in public_of[m] if g in best_two)
    items = list(PledgeItem.objects.filter(pledge__round_id=evaluation.round_id))
    UnitEvaluationFigures.objects.update_or_create(unit_id=connection.tenant.pk, evaluation_id=evaluation.pk, defaults={
        "year": evaluation.round.year, "round_title": evaluation.round.title, "members": len(scores), "scored": len(scored),
        "score_sum": sum(scored, Decimal(0)), "grades": {g["code"]: grades[g["code"]] for g in evaluation.scale},
        "public_grades": public, "public_top_two": top, "items": len(items),
        "items_closed": sum(1 for i in items if i.state == PledgeItem.State.CLOSED), "fresh_as_of": timezone.now()})


# ------------------------------------------------------------------ workers (2 processes)

def _recompute_worker(args) -> tuple[float, dict]:
    way, unit_ids, db_url, redis_url = args
    _django(db_url, redis_url)
    from django.db import connection

    from evaluations.models import Evaluation, MemberScore
    from evaluations.tallies import scores_recompute
    from tenants.models import Unit
    from tenants.services import unit_run

    units = list(Unit.objects.filter(pk__in=unit_ids).order_by("pk"))
    scores, differences = {}, 0
    started = time.perf_counter()
    for unit in units:
        with unit_run(unit):
            evaluation = Evaluation.objects.select_related("round").get()
            if way == "jiannuo":
                differences += len(scores_recompute(evaluation_id=evaluation.pk))
            else:
                found = naive_unit(evaluation, detail=True)
                naive_push(evaluation, found)
                scores[unit.pk] = found[0]
    elapsed = time.perf_counter() - started
    for unit in units:  # what Jiannuo found, read back after the clock stopped
        with unit_run(unit):
            if way == "jiannuo":
                scores[unit.pk] = {m: (s, g) for m, s, g in MemberScore.objects.values_list("member_id", "score", "grade")}
    connection.set_schema_to_public()
    return elapsed, {"scores": scores, "differences": differences}


def recompute_county(way: str, unit_ids: list[int], db_url: str, redis_url: str, processes: int = 2):
    halves = [unit_ids[i::processes] for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        results = pool.map(_recompute_worker, [(way, half, db_url, redis_url) for half in halves])
    wall = time.perf_counter() - started
    scores, differences = {}, 0
    for _elapsed, found in results:
        scores.update(found["scores"])
        differences += found["differences"]
    return max(e for e, _f in results), wall, scores, differences


def county_row_totals():
    from oversight.models import UnitEvaluationFigures

    rows = list(UnitEvaluationFigures.objects.order_by("unit_id").values_list("unit_id", "scored", "score_sum", "grades", "public_grades",
                                                                              "public_top_two", "items", "items_closed"))
    return rows


# ------------------------------------------------------------------ latency

def start_worker(db_url: str, redis_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "jiannuo.settings.dev",
           "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([str(ROOT / ".venv/bin/celery"), "-A", "jiannuo", "worker", "-Q", "aggregation", "--concurrency", "2",
                             "--without-mingle", "--without-gossip", "-l", "WARNING"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _panel_secrets(units, per_unit: int) -> dict:
    """One-time links registered on a panel of the first branch of each unit."""
    from evaluations.models import Evaluation
    from evaluations.services import panel_register
    from tenants.organization.caller import Caller
    from tenants.organization.models import Organization
    from tenants.services import unit_run

    secrets = {}
    for unit in units:
        with unit_run(unit):
            evaluation = Evaluation.objects.select_related("round").get()
            branch = Organization.objects.filter(kind="branch").order_by("pk").first()
            issued = panel_register(evaluation=evaluation, branch=branch, who=Caller(user_id=None, is_unit_admin=True),
                                    people=[(f"评议人{n}", "served") for n in range(per_unit)])
            secrets[unit.pk] = [secret for _m, secret in issued]
    return secrets


def _fresh(unit_id: int):
    from oversight.models import UnitEvaluationFigures

    return UnitEvaluationFigures.objects.filter(unit_id=unit_id).values_list("fresh_as_of", flat=True).first()


def latency(way: str, units, secrets: dict, ballots: int, today: date, rng: random.Random) -> list[float]:
    from django.db import connection
    from django.utils import timezone

    from evaluations.models import Evaluation
    from evaluations.services import ballot_cast, branch_members_to_grade
    from tenants.services import unit_run

    samples = []
    for n in range(ballots):
        unit = units[rng.randrange(len(units))]
        secret = secrets[unit.pk].pop()
        connection.set_schema_to_public()
        with unit_run(unit):
            evaluation = Evaluation.objects.select_related("round").get()
            graded = branch_members_to_grade(branch_id=_first_branch())
            grades = {pk: rng.choices(GRADES, WEIGHTS)[0] for pk in graded}
            cast_at, started = timezone.now(), time.perf_counter()
            ballot_cast(secret=secret, grades=grades, today=today)  # committed: the worker is nudged
            if way == "naive":
                naive_push(evaluation, naive_unit(evaluation, detail=True))
        connection.set_schema_to_public()
        deadline = started + 30
        while (_fresh(unit.pk) or cast_at) <= cast_at:  # the unit's row written after the ballot
            if time.perf_counter() > deadline:
                raise SystemExit(f"ballot {n} never reached the county table ({way})")
            time.sleep(0.002)
        samples.append(time.perf_counter() - started)
        time.sleep(0.05)
    return samples


def _first_branch() -> int:
    from tenants.organization.models import Organization

    return Organization.objects.filter(kind="branch").order_by("pk").values_list("pk", flat=True).first()


def pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# ------------------------------------------------------------------ main

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--ballots", type=int, default=40, help="ballots timed for the latency, each way")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true", help="measure the county already seeded in the scratch database (its complete units)")
    args = parser.parse_args()

    import psycopg

    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jiannuo"))
    admin_url = urlunparse(base._replace(path="/postgres"))
    if not args.reuse:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiannuo_bench_eval WITH (FORCE)")
            conn.execute("CREATE DATABASE jiannuo_bench_eval")
    db_url = urlunparse(base._replace(path="/jiannuo_bench_eval"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/13"
    _django(db_url, redis_url)
    import redis as redis_client
    from django.db import connection
    from django.utils import timezone

    redis_client.Redis.from_url(redis_url).flushdb()
    today = timezone.localdate()
    worker = None
    try:
        started = time.perf_counter()
        if args.reuse:
            units = complete_units(args.members)
            print(f"Reusing the {len(units)} completely seeded units", flush=True)
        else:
            print(f"Seeding {args.units} units × {args.members} members …", flush=True)
            _county, units = seed(units=args.units, members=args.members, today=today)
        with connection.cursor() as cursor:
            counts = {}
            for table, what in (("organization_member", "count(*)"), ("evaluations_publicballot", "count(*)"),
                                ("evaluations_ballotbox", "coalesce(sum(count), 0)"), ("evaluations_review", "count(*)"),
                                ("evaluations_selfassessment", "count(*)")):
                total = 0
                for unit in units:
                    cursor.execute(f'SELECT {what} FROM "{unit.schema_name}".{table}')
                    total += cursor.fetchone()[0]
                counts[table] = total
        print(f"  seeded in {time.perf_counter() - started:.0f} s: {counts['organization_member']} members, "
              f"{counts['evaluations_publicballot']} public ballots, {counts['evaluations_ballotbox']} peer and team grades, "
              f"{counts['evaluations_review']} reviews, {counts['evaluations_selfassessment']} self-evaluations", flush=True)
        connection.close()
        unit_ids = [u.pk for u in units]

        print("\nFull recompute of the county (2 processes each):", flush=True)
        cold, cold_wall, jiannuo_scores, differences = recompute_county("jiannuo", unit_ids, db_url, redis_url)
        jiannuo_rows = county_row_totals()
        nightly, nightly_wall, _again, differences_again = recompute_county("jiannuo", unit_ids, db_url, redis_url)
        naive, naive_wall, naive_scores, _n = recompute_county("naive", unit_ids, db_url, redis_url)
        naive_rows = county_row_totals()
        equal_scores = jiannuo_scores == naive_scores
        equal_rows = jiannuo_rows == naive_rows
        print(f"| full recompute, {len(unit_ids) * args.members:,} members | time |")
        print("|---|---|")
        print(f"| baseline: naive per-member ORM loop | {naive:.1f} s |")
        print(f"| Jiannuo: first run (every ballot pending) | {cold:.1f} s |")
        print(f"| Jiannuo: nightly run (nothing changed) | {nightly:.1f} s |")
        print(f"  {naive / nightly:.0f}× faster than the naive loop; differences logged: {differences} then {differences_again}; "
              f"members' scores and grades equal: {equal_scores}; county rows equal: {equal_rows}", flush=True)
        if not (equal_scores and equal_rows and differences == differences_again == 0):
            raise SystemExit("the two ways disagree")

        print(f"\nLatency from a public ballot to the county's figure ({args.ballots} ballots each way):", flush=True)
        rng = random.Random(7)
        secrets = _panel_secrets(units, per_unit=2 * args.ballots)
        connection.set_schema_to_public()
        naive_lat = latency("naive", units, secrets, args.ballots, today, rng)
        worker = start_worker(db_url, redis_url)
        time.sleep(8)  # the worker's start
        jiannuo_lat = latency("jiannuo", units, secrets, args.ballots, today, rng)
        print("| ballot → county figure | p50 | p95 | max |")
        print("|---|---|---|---|")
        for name, values in (("baseline: naive (the unit rescored in the request)", naive_lat), ("Jiannuo: Celery, incremental", jiannuo_lat)):
            print(f"| {name} | {statistics.median(values) * 1000:.0f} ms | {pct(values, 95) * 1000:.0f} ms | {max(values) * 1000:.0f} ms |")
        # The worker's running tallies, ballot by ballot, against the naive loop, then the recompute's check.
        from evaluations.models import Evaluation, MemberScore
        from evaluations.tallies import scores_recompute
        from tenants.services import unit_run

        worker_check, unequal = [], 0
        for unit in units:
            with unit_run(unit):
                evaluation = Evaluation.objects.select_related("round").get()
                running = {m: (sc, g) for m, sc, g in MemberScore.objects.values_list("member_id", "score", "grade")}
                unequal += running != naive_unit(evaluation)
                worker_check += scores_recompute(evaluation_id=evaluation.pk)
        connection.set_schema_to_public()
        print(f"  after the latency runs: units whose running scores differ from the naive loop's: {unequal}; "
              f"differences the full recompute finds: {len(worker_check)}", flush=True)
        if unequal or worker_check:
            raise SystemExit("the incremental tallies disagree")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        connection.close()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS jiannuo_bench_eval WITH (FORCE)")


if __name__ == "__main__":
    main()
