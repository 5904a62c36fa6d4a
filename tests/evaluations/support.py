"""Building blocks for evaluation tests: a round whose evaluation is open today, and more
members in a branch than the shared world has."""
from __future__ import annotations

from datetime import date, timedelta

from evaluations import services
from evaluations.models import Evaluation
from pledges.models import Round
from tenants.organization import services as org
from tenants.organization.models import Member, Organization
from tests.pledges.support import TODAY, who


def evaluation_open_today(unit_world) -> Evaluation:
    """The world's round with its evaluation prepared and open since yesterday."""
    evaluation = services.evaluation_prepare(round=Round.objects.get(pk=unit_world.round_id), who=who(unit_world.admin, admin=True))
    Round.objects.filter(pk=unit_world.round_id).update(evaluate_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=20))
    evaluation.round.refresh_from_db()
    return evaluation


def members_in(unit_world, branch_id: int, n: int, *, tier: str = "rural_member", prefix: str = "党员") -> list[Member]:
    branch = Organization.objects.get(pk=branch_id)
    return [
        org.member_create(unit=unit_world.unit, name=f"{prefix}{i}", gender="male", birth_date=date(1970, 1, 1 + i % 28),
                          joined_on=date(2000, 7, 1), tier=tier, post="村民", branch=branch)
        for i in range(n)
    ]
