"""Public evaluation (群众评议) ballots: a one-time link admits one evaluator to one branch's
form once; the ballot it records points at nothing that names the evaluator; the same link
submitted many times at once records one ballot; and a dump of the unit, read in any order,
pairs no ballot with a token or an evaluator."""
from __future__ import annotations

import re
import subprocess
import threading
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from evaluations import services
from evaluations.models import BallotBox, BallotRight, BallotToken, Evaluation, PanelMember, PublicBallot
from pledges.models import Round
from tenants.organization.models import Member, Organization
from tenants.services import unit_run
from tests.pledges.support import who


def _evaluation(unit_world) -> Evaluation:
    return services.evaluation_prepare(round=Round.objects.get(pk=unit_world.round_id), who=who(unit_world.admin, admin=True))


def _evaluate_day(evaluation: Evaluation):
    return evaluation.round.evaluate_on + timedelta(days=1)


PANEL = [("王大爷", "public_representative"), ("李阿姨", "served"), ("张厂长", "partner_head")]


def test_a_panel_gets_one_time_links_and_only_their_hashes_are_kept(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = _evaluation(A)
        branch = Organization.objects.get(pk=A.branch_id)
        issued = services.panel_register(evaluation=evaluation, branch=branch, who=who(A.secretary), people=PANEL)
        assert [m.name for m, _secret in issued] == ["王大爷", "李阿姨", "张厂长"]
        secrets_ = [secret for _m, secret in issued]
        assert len(set(secrets_)) == 3 and all(len(s) >= 32 for s in secrets_)
        stored = list(BallotToken.objects.values_list("digest", flat=True))
        assert sorted(stored) == sorted(services.token_digest(s) for s in secrets_)
        assert not any(s in d for s in secrets_ for d in stored)
        # Only whoever runs the branch registers its panel; a party group is not a branch.
        with pytest.raises(PermissionDenied):
            services.panel_register(evaluation=evaluation, branch=branch, who=who(A.other_member), people=PANEL)
        with pytest.raises(ValidationError):
            services.panel_register(evaluation=evaluation, branch=Organization.objects.get(pk=A.group_id), who=who(A.admin, admin=True), people=PANEL)


def test_a_link_records_one_ballot_then_is_spent_and_bad_ballots_change_nothing(world, db):
    A = world["A"]
    with unit_run(A.unit):
        evaluation = _evaluation(A)
        branch = Organization.objects.get(pk=A.branch_id)
        (_member, secret), (_m2, other) = services.panel_register(evaluation=evaluation, branch=branch, who=who(A.secretary), people=PANEL[:2])
        day = _evaluate_day(evaluation)
        mine = {m: "satisfied" for m in services.branch_members_to_grade(branch_id=A.branch_id)}
        stranger = Member.objects.get(branch_id=A.branch2_id).pk

        refusals = [
            (dict(secret=secret, grades=mine, today=evaluation.round.fulfil_on), "conflict"),  # before the evaluation opens
            (dict(secret=secret, grades={**mine, stranger: "satisfied"}, today=day), "invalid"),  # a member of another branch
            (dict(secret=secret, grades={m: "excellent" for m in mine}, today=day), "invalid"),  # not on the scale
            (dict(secret=secret, grades={}, today=day), "invalid"),
            (dict(secret="guessed-" + secret[:10], grades=mine, today=day), "token_used"),
            (dict(secret=secret, grades=mine, today=evaluation.round.ends_on + timedelta(days=1)), "token_expired"),
        ]
        for kwargs, code in refusals:
            with pytest.raises(ValidationError) as refused:
                services.ballot_cast(**kwargs)
            assert (refused.value.code if hasattr(refused.value, "code") and refused.value.code else "invalid") == code, kwargs
        assert PublicBallot.objects.count() == 0 and BallotToken.objects.count() == 2  # nothing changed

        ballot = services.ballot_cast(secret=secret, grades=mine, comments={next(iter(mine)): "办事热心"}, today=day)
        assert ballot.cast_on == day and ballot.grades == {str(k): v for k, v in mine.items()}
        assert BallotToken.objects.count() == 1  # spent: gone
        with pytest.raises(ValidationError) as again:
            services.ballot_cast(secret=secret, grades=mine, today=day)
        assert again.value.code == "token_used" and PublicBallot.objects.count() == 1
        # Who has not voted yet (to chase them), never how anyone voted.
        waiting = PanelMember.objects.filter(evaluation=evaluation, token__isnull=False).values_list("name", flat=True)
        assert list(waiting) == ["李阿姨"]


def test_a_ballot_row_names_nothing_that_could_identify_its_evaluator():
    columns = {f.name for f in PublicBallot._meta.get_fields()}
    assert columns == {"id", "evaluation", "branch", "grades", "comments", "cast_on", "applied"}
    assert PublicBallot._meta.get_field("id").get_internal_type() == "UUIDField"  # random, not sequential
    assert PublicBallot._meta.get_field("cast_on").get_internal_type() == "DateField"  # the day only
    assert not any(getattr(f, "related_model", None) in (BallotToken, BallotRight, PanelMember, Member)
                   for f in PublicBallot._meta.get_fields())


def test_members_ballots_are_kept_only_as_counts():
    """A member's ballot grades everyone of the branch but its voter: kept as a row it would name
    its voter by the one missing. So only counts per member graded are kept, without a time."""
    columns = {f.name for f in BallotBox._meta.get_fields()}
    assert columns == {"id", "evaluation", "method", "subject", "grade", "count", "applied_count"}
    assert not any(f.get_internal_type() in ("DateTimeField", "DateField", "TimeField") for f in BallotBox._meta.concrete_fields)


@pytest.fixture
def committed_panel(world, django_db_blocker):
    """Unit C's evaluation with a registered panel, on committed data (removed afterwards)."""
    C = world["C"]
    with django_db_blocker.unblock(), unit_run(C.unit):
        evaluation = _evaluation(C)
        branch = Organization.objects.get(pk=C.branch_id)
        people = [(f"评议人{i}", "public_representative") for i in range(5)]
        issued = services.panel_register(evaluation=evaluation, branch=branch, who=who(C.admin, admin=True), people=people)
        connection.set_schema_to_public()
    yield C, evaluation, [secret for _m, secret in issued]
    with django_db_blocker.unblock(), unit_run(C.unit):
        PublicBallot.objects.filter(evaluation=evaluation).delete()
        Evaluation.objects.filter(pk=evaluation.pk).delete()
        connection.set_schema_to_public()


def test_the_same_link_sent_many_times_at_once_records_one_ballot(committed_panel, django_db_blocker):
    C, evaluation, secrets_ = committed_panel
    day = _evaluate_day(evaluation)
    with django_db_blocker.unblock(), unit_run(C.unit):
        grades = {m: "fairly_satisfied" for m in services.branch_members_to_grade(branch_id=C.branch_id)}
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def submit():
        try:
            with unit_run(C.unit):
                barrier.wait(timeout=10)
                services.ballot_cast(secret=secrets_[0], grades=grades, today=day)
                outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=submit) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        with unit_run(C.unit):
            assert PublicBallot.objects.filter(evaluation=evaluation).count() == 1
            connection.set_schema_to_public()
    assert sorted(outcomes) == ["ok"] + ["token_used"] * 5


def test_a_dump_of_the_unit_pairs_no_ballot_with_a_token_or_an_evaluator(committed_panel, django_db_blocker):
    """After three of five evaluators voted: the dump holds the three ballots and the two unspent
    tokens. No ballot carries a token's digest, an evaluator's id or name, or a time of day; the
    spent tokens are not in it at all, so no ordering of rows can pair them with ballots."""
    C, evaluation, secrets_ = committed_panel
    day = _evaluate_day(evaluation)
    with django_db_blocker.unblock(), unit_run(C.unit):
        grades = {m: "satisfied" for m in services.branch_members_to_grade(branch_id=C.branch_id)}
        for secret in secrets_[:3]:
            services.ballot_cast(secret=secret, grades=grades, today=day)
        panel = list(PanelMember.objects.filter(evaluation=evaluation).values("id", "name"))
        connection.set_schema_to_public()
    db = settings.DATABASES["default"]
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--schema", C.unit.schema_name, "--table", f"{C.unit.schema_name}.evaluations_*",
         "-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres", connection.settings_dict["NAME"]],
        capture_output=True, text=True, check=True, env={"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"},
    ).stdout
    ballots = _copy_rows(dump, "evaluations_publicballot")
    tokens = _copy_rows(dump, "evaluations_ballottoken")
    assert len(ballots) == 3 and len(tokens) == 2
    spent = {services.token_digest(s) for s in secrets_[:3]}
    assert not any(digest in dump for digest in spent)  # spent tokens leave nothing behind
    for row in ballots:
        assert not any(str(p["id"]) in row.split("\t")[:2] for p in panel)
        assert not any(p["name"] in row for p in panel)
        assert not re.search(r"\d{2}:\d{2}:\d{2}", row)  # no time of day
        uuid.UUID(row.split("\t")[0])  # a random id


def _copy_rows(dump: str, table: str) -> list[str]:
    match = re.search(rf"COPY [\w.\"]*{table} \(.*?\) FROM stdin;\n(.*?)\n\\\.", dump, re.S)
    return [line for line in match.group(1).split("\n") if line] if match else []
