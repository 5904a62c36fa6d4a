"""The running tallies: kept current ballot by ballot, equal at every point to a full recount
from the ballots; a duplicate or concurrent run adds nothing twice, a worker killed in the
middle of an aggregation leaves correct totals; and every change reaches the county's table."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from evaluations import services
from evaluations.models import Evaluation, MemberScore, PublicBallot, Review, SelfAssessment
from evaluations.services import _box_add
from evaluations.tallies import counts_from_ballots, scores_apply_pending, scores_recompute
from evaluations.tasks import apply_scores
from oversight.models import UnitEvaluationFigures
from tenants.organization.models import Member
from tenants.services import unit_run
from tests.conftest import api_client_for
from tests.evaluations.support import evaluation_open_today, members_in
from tests.pledges.support import TODAY, who
from tests.support.workers import queue_remove, start_worker, wait_for

GRADES = ["satisfied", "fairly_satisfied", "basically_satisfied", "dissatisfied"]


class _Rollback(Exception):
    pass


def _running(evaluation) -> dict[int, dict]:
    return {row.member_id: row.tallies for row in MemberScore.objects.filter(evaluation=evaluation) if row.tallies}


def _snapshot(evaluation) -> dict[int, tuple]:
    return {r.member_id: (r.tallies, r.score, r.grade) for r in MemberScore.objects.filter(evaluation=evaluation)}


# One step of a history: a ballot of some kind grading some members, a (re)graded review or
# self-assessment, or a run of the incremental aggregation.
step = st.one_of(
    st.tuples(st.sampled_from(["public", "peer", "team"]), st.dictionaries(st.integers(0, 5), st.sampled_from(GRADES), min_size=1)),
    st.tuples(st.sampled_from(["leader", "organisation"]), st.integers(0, 5), st.sampled_from(GRADES)),
    st.tuples(st.just("self"), st.integers(0, 5), st.sampled_from(GRADES)),
    st.tuples(st.just("apply")),
    st.tuples(st.just("recompute")),
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=st.lists(step, max_size=25))
def test_incremental_tallies_equal_a_full_recount_after_any_history(world, db, history):
    A = world["A"]
    with unit_run(A.unit):
        try:
            with transaction.atomic():
                evaluation = evaluation_open_today(A)
                people = members_in(A, A.branch_id, 4) + members_in(A, A.branch2_id, 2, tier="township_leader", prefix="领导")
                expected: dict[int, dict[str, dict[str, int]]] = {}  # what the history adds up to, kept by hand
                signed: dict[tuple, str] = {}

                def count(member, method, grade, n=1):
                    by_grade = expected.setdefault(member.pk, {}).setdefault(method, {})
                    by_grade[grade] = by_grade.get(grade, 0) + n
                    if not by_grade[grade]:
                        del by_grade[grade]

                for entry in history:
                    kind = entry[0]
                    if kind in ("public", "peer", "team"):
                        grades = {str(people[i].pk): g for i, g in entry[1].items()}
                        if kind == "public":
                            PublicBallot.objects.create(evaluation=evaluation, branch_id=A.branch_id, grades=grades, cast_on=TODAY)
                        else:
                            _box_add(evaluation=evaluation, method=kind, grades={people[i].pk: g for i, g in entry[1].items()})
                        for i, g in entry[1].items():
                            count(people[i], kind, g)
                    elif kind in ("leader", "organisation", "self"):
                        subject, grade = people[entry[1]], entry[2]
                        before = signed.get((kind, subject.pk))
                        if kind == "self":
                            SelfAssessment.objects.update_or_create(evaluation=evaluation, member=subject, defaults={"grade": grade, "report": "述职"})
                        else:
                            Review.objects.update_or_create(evaluation=evaluation, method=kind, stage="year_end", subject=subject,
                                                            defaults={"grade": grade, "reviewer_name": "书记", "reviewed_on": TODAY})
                        if before:
                            count(subject, kind, before, -1)
                        count(subject, kind, grade)
                        signed[(kind, subject.pk)] = grade
                    elif kind == "apply":
                        scores_apply_pending(evaluation_id=evaluation.pk)
                    else:  # a recompute at any point finds nothing wrong, pending records included
                        assert scores_recompute(evaluation_id=evaluation.pk) == []
                expected = {pk: {m: g for m, g in by.items() if g} for pk, by in expected.items()}
                expected = {pk: by for pk, by in expected.items() if by}
                assert counts_from_ballots(evaluation) == expected
                scores_apply_pending(evaluation_id=evaluation.pk)
                assert _running(evaluation) == expected
                incremental = _snapshot(evaluation)
                assert scores_recompute(evaluation_id=evaluation.pk) == []
                assert _snapshot(evaluation) == incremental  # the same scores and grades, not only the same counts
                raise _Rollback
        except _Rollback:
            pass


def test_the_recompute_finds_and_logs_a_tally_that_went_wrong(world, db, caplog):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        [member] = members_in(A, A.branch_id, 1)
        PublicBallot.objects.create(evaluation=evaluation, branch_id=A.branch_id, grades={str(member.pk): "satisfied"}, cast_on=TODAY)
        scores_apply_pending(evaluation_id=evaluation.pk)
        MemberScore.objects.filter(evaluation=evaluation, member=member).update(tallies={"public": {"satisfied": 5}})  # drifted
        differences = scores_recompute(evaluation_id=evaluation.pk)
        assert len(differences) == 1 and str(member.pk) in differences[0]
        assert any(r.levelname == "ERROR" and "differed from the recount" in r.getMessage() for r in caplog.records)
        assert MemberScore.objects.get(evaluation=evaluation, member=member).tallies == {"public": {"satisfied": 1}}


def test_the_same_aggregation_delivered_twice_adds_each_ballot_once(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        members = members_in(A, A.branch_id, 3)
        for grade in ("satisfied", "satisfied", "dissatisfied"):
            PublicBallot.objects.create(evaluation=evaluation, branch_id=A.branch_id, grades={str(m.pk): grade for m in members}, cast_on=TODAY)
        assert apply_scores.apply(args=(evaluation.pk,), throw=True).result == 3
        once = _snapshot(evaluation)
        assert apply_scores.apply(args=(evaluation.pk,), throw=True).result == 0  # the duplicate finds nothing pending
        assert _snapshot(evaluation) == once
        assert MemberScore.objects.get(evaluation=evaluation, member=members[0]).tallies == {"public": {"satisfied": 2, "dissatisfied": 1}}
        # 200/3 points: 66.666… shown as 66.7, 基本满意 (≥60).
        row = MemberScore.objects.get(evaluation=evaluation, member=members[0])
        assert str(row.score) == "66.7" and row.grade == "basically_satisfied"


def test_every_change_of_scores_reaches_the_countys_table_in_the_same_transaction(world, db):
    A, C = world["A"], world["C"]
    with unit_run(A.unit):
        evaluation = evaluation_open_today(A)
        members = members_in(A, A.branch_id, 3)
        for grade in ("satisfied", "fairly_satisfied", "satisfied"):
            PublicBallot.objects.create(evaluation=evaluation, branch_id=A.branch_id, grades={str(m.pk): grade for m in members}, cast_on=TODAY)
        scores_apply_pending(evaluation_id=evaluation.pk)
    row = UnitEvaluationFigures.objects.get(unit=A.unit, evaluation_id=evaluation.pk)
    assert row.scored == 3 and row.public_grades == 9 and row.public_top_two == 9 and row.grades["satisfied"] == 3
    county = api_client_for(world.county_admin_k1).get("/api/v1/oversight/evaluations/").json()
    assert county["year"] == evaluation.round.year
    [unit] = [u for u in county["units"] if u["slug"] == A.unit.slug]
    # (100 + 80 + 100) / 3 = 93.3 for each member.
    assert unit["mean_score"] == "93.3" and unit["satisfaction_rate"] == "100.0" and unit["fresh_as_of"]
    assert county["totals"]["scored"] == 3
    # Another county's admin sees none of it.
    other = api_client_for(world.county_admin_k2).get(f"/api/v1/oversight/evaluations/?year={evaluation.round.year}").json()
    assert all(u["slug"] != A.unit.slug for u in other["units"]) and C.unit.slug not in [u["slug"] for u in county["units"]]
    assert api_client_for(world.county_admin_k1).get("/api/v1/oversight/evaluations/?year=soon").status_code == 400


@pytest.fixture
def committed_ballots(world, django_db_blocker):
    """Unit C's evaluation, open, with 3 members and 4 public ballots, committed (removed afterwards)."""
    C = world["C"]
    with django_db_blocker.unblock(), unit_run(C.unit):
        evaluation = evaluation_open_today(C)
        members = members_in(C, C.branch_id, 3, prefix=f"临时{uuid.uuid4().hex[:4]}")
        for grade in ("satisfied", "fairly_satisfied", "satisfied", "dissatisfied"):
            PublicBallot.objects.create(evaluation=evaluation, branch_id=C.branch_id, grades={str(m.pk): grade for m in members}, cast_on=TODAY)
        connection.set_schema_to_public()
    yield C, evaluation, members
    with django_db_blocker.unblock(), unit_run(C.unit):
        UnitEvaluationFigures.objects.filter(unit=C.unit).delete()
        Evaluation.objects.filter(pk=evaluation.pk).delete()
        Member.objects.filter(pk__in=[m.pk for m in members]).delete()
        from pledges.models import Round
        from tests.pledges.support import round_dates

        Round.objects.filter(pk=C.round_id).update(**{k: v for k, v in round_dates().items() if k in ("evaluate_on", "ends_on")})
        connection.set_schema_to_public()


EXPECTED_C = {"public": {"satisfied": 2, "fairly_satisfied": 1, "dissatisfied": 1}}


def test_two_aggregations_at_once_add_each_ballot_once(committed_ballots, django_db_blocker):
    C, evaluation, members = committed_ballots
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            with unit_run(C.unit):
                barrier.wait(timeout=10)
                results.append(scores_apply_pending(evaluation_id=evaluation.pk))
        finally:
            connection.close()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(results) == [0, 4]
        with unit_run(C.unit):
            assert all(MemberScore.objects.get(evaluation=evaluation, member=m).tallies == EXPECTED_C for m in members)
            connection.set_schema_to_public()


@pytest.mark.worker
def test_a_worker_killed_mid_aggregation_leaves_correct_totals(committed_ballots, django_db_blocker, brokers_in_turn):
    from tests.support.tasks import attempts_key, stalled_apply_scores

    C, evaluation, members = committed_ballots
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    key, queue = f"kill-apply-{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex}"
    first, second = start_worker(queue), None
    try:
        with django_db_blocker.unblock(), unit_run(C.unit):
            stalled_apply_scores.apply_async(args=(key, evaluation.pk, 30), queue=queue)
            connection.set_schema_to_public()
        assert wait_for(lambda: client.get(attempts_key(key)) == b"1", 60), "the first worker never started the aggregation"
        time.sleep(1)  # inside the transaction now: tallies updated, not committed
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        with django_db_blocker.unblock(), unit_run(C.unit):
            assert PublicBallot.objects.filter(evaluation=evaluation, applied=False).count() == 4  # nothing half-done
            connection.set_schema_to_public()
        second = start_worker(queue)

        def applied():
            with django_db_blocker.unblock(), unit_run(C.unit):
                done = not PublicBallot.objects.filter(evaluation=evaluation, applied=False).exists()
                connection.set_schema_to_public()
                return done

        assert wait_for(applied, 90), "the aggregation was not re-delivered after the worker died"
        assert int(client.get(attempts_key(key))) == 2
        with django_db_blocker.unblock(), unit_run(C.unit):
            assert all(MemberScore.objects.get(evaluation=evaluation, member=m).tallies == EXPECTED_C for m in members)
            assert scores_recompute(evaluation_id=evaluation.pk) == []
            connection.set_schema_to_public()
            assert UnitEvaluationFigures.objects.get(unit=C.unit, evaluation_id=evaluation.pk).public_grades == 12
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(20)
        client.delete(attempts_key(key))
        queue_remove(queue)
