"""Evaluation reads, in the caller's unit (the routing has switched to its schema)."""
from __future__ import annotations

from fractions import Fraction
from math import ceil

from django.db.models import QuerySet

from tenants.organization.models import Member

from .models import Evaluation, PanelMember, PublicBallot
from .scoring import Tally, rounded


def evaluation_list() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("round")


def panel_status(*, evaluation, branch_id: int) -> dict:
    """A branch's public panel as whoever runs it follows it: who is registered and who has not
    voted yet (a live token), how many voted, and the quorum (002: evaluators ≥ 80% of the
    branch's members). Never how anyone voted."""

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


# No result is shown of fewer ballots than this: one or two ballots would show how someone voted.
FEWEST_BALLOTS_SHOWN = 3


def public_results(*, evaluation, branch_id: int) -> dict:
    """A branch's public evaluation per member: the grades' counts, the public score (the mean
    points, as the formula uses it) and the satisfaction rate (the two best grades' share) —
    once the quorum is reached and never of fewer than FEWEST_BALLOTS_SHOWN ballots."""
    scheme = evaluation.member_scheme()
    ballots = list(PublicBallot.objects.filter(evaluation=evaluation, branch_id=branch_id).values_list("grades", flat=True))
    tallies: dict[int, Tally] = {}
    for grades in ballots:
        for member_id, grade in grades.items():
            if grade in scheme.points:
                tallies.setdefault(int(member_id), Tally()).add(grade, scheme)
    best_two = {g.code for g in scheme.scale[:2]}
    names = dict(Member.objects.filter(pk__in=tallies).values_list("id", "name")) if tallies else {}
    rows = []
    for member_id, tally in sorted(tallies.items(), key=lambda pair: (names.get(pair[0], ""), pair[0])):
        if tally.count < FEWEST_BALLOTS_SHOWN:
            continue
        mean = tally.mean()
        rows.append({
            "member": {"id": member_id, "name": names.get(member_id, "")},
            "ballots": tally.count,
            "grades": [{"code": g.code, "label": g.label, "count": tally.by_grade.get(g.code, 0)} for g in scheme.scale],
            "public_score": str(rounded(mean)),
            "satisfaction_rate": str(rounded(Fraction(100 * sum(tally.by_grade.get(c, 0) for c in best_two), tally.count))),
        })
    return {"ballots": len(ballots), "members": rows}
