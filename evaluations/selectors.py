"""Evaluation reads, in the caller's unit (the routing has switched to its schema)."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import Evaluation


def evaluation_list() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("round")


def panel_status(*, evaluation, branch_id: int) -> dict:
    """A branch's public panel as whoever runs it follows it: who is registered and who has not
    voted yet (a live token), how many voted, and the quorum (002: evaluators ≥ 80% of the
    branch's members). Never how anyone voted."""
    from math import ceil

    from tenants.organization.models import Member

    from .models import PanelMember, PublicBallot

    people = list(PanelMember.objects.filter(evaluation=evaluation, branch_id=branch_id).order_by("name", "id")
                  .values("id", "name", "category", "token__id"))
    members = Member.objects.filter(branch_id=branch_id, status__in=(Member.Status.ACTIVE, Member.Status.MOBILE)).count()
    voted = PublicBallot.objects.filter(evaluation=evaluation, branch_id=branch_id).count()
    needed = ceil(members * evaluation.public_quorum_percent / 100)
    return {
        "branch": branch_id,
        "members": members,
        "quorum": needed,
        "voted": voted,
        "still_needed": max(needed - voted, 0),
        "counts": voted >= needed and voted > 0,
        "panel": [{"id": p["id"], "name": p["name"], "category": p["category"], "has_voted": p["token__id"] is None} for p in people],
    }
