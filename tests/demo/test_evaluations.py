"""The demo evaluation `make run` seeds: a unit in its evaluation phase with ballots of every
kind, one branch past its public quorum with results, one short of it, and current scores."""
from datetime import date

from django.db.models import F

from django.utils import timezone

from demo.evaluations import demo_evaluation_seed
from demo.pledges import demo_pledges_seed
from evaluations import selectors
from evaluations.models import BallotBox, Commendation, Evaluation, MemberScore, Rectification, PanelMember, PublicBallot, Review, SelfAssessment
from oversight.models import UnitEvaluationFigures
from pledges.models import Phase, Pledge, Round
from tenants.organization.models import Organization
from tenants.organization.services import member_create
from tenants.services import unit_run
from tests.demo.test_pledges import _more_members


def test_demo_evaluation_is_under_way_with_one_branch_past_its_quorum(world, db):
    C = world["C"]
    today = timezone.localdate()
    with unit_run(C.unit):
        Pledge.objects.all().delete()
        Round.objects.all().delete()
        _more_members(C)
        second = Organization.objects.get(pk=C.branch2_id)
        for i in range(6):
            member_create(unit=C.unit, name=f"C 二支部{i}", gender="male", birth_date=date(1985, 1, 1 + i), joined_on=date(2010, 7, 1),
                          phone=f"1365551{i:04d}", post="会计", tier="agency_member", branch=second)
    demo_pledges_seed(unit=C.unit, today=today)

    counts = demo_evaluation_seed(unit=C.unit, today=today)

    assert counts is not None and counts["public ballots"] > 0 and counts["evaluators still to vote"] > 0
    with unit_run(C.unit):
        evaluation = Evaluation.objects.select_related("round").get()
        assert evaluation.round.phase_on(today) == Phase.EVALUATE
        first = selectors.panel_status(evaluation=evaluation, branch_id=C.branch_id)
        short = selectors.panel_status(evaluation=evaluation, branch_id=C.branch2_id)
        assert first["counts"] and first["voted"] >= 3 and any(not p["has_voted"] for p in first["panel"])
        assert not short["counts"] and short["still_needed"] > 0
        assert selectors.public_results(evaluation=evaluation, branch_id=C.branch_id)["members"]
        assert selectors.results_final(evaluation)  # published to the unit
        assert Commendation.objects.count() == counts["commended"] == 3
        [rectification] = Rectification.objects.all()
        assert rectification.state == "open" and list(rectification.steps.values_list("step", flat=True)) == ["oral_reminder", "deadline_rectification"]
        assert BallotBox.objects.exists() and SelfAssessment.objects.exists()
        assert set(Review.objects.values_list("method", "stage").distinct()) == {("leader", "interim"), ("leader", "year_end"),
                                                                                  ("organisation", "year_end")}
        # The scores are current: nothing pending, and a recount finds the same.
        assert not PublicBallot.objects.filter(applied=False).exists() and not BallotBox.objects.exclude(applied_count=F("count")).exists()
        assert MemberScore.objects.filter(evaluation=evaluation, score__isnull=False).count() >= 20
        assert PanelMember.objects.filter(evaluation=evaluation).count() > counts["public ballots"]
    figures = UnitEvaluationFigures.objects.get(unit=C.unit)
    assert figures.scored >= 20 and figures.public_grades > 0

    assert demo_evaluation_seed(unit=C.unit, today=today) is None  # once per unit
