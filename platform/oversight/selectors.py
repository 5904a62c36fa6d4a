"""Cross-unit reads, always limited to the caller's jurisdiction."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q, QuerySet

from accounts.access import units_overseen_by as units_below_user
from accounts.models import JurisdictionRole
from evaluations.scoring import rounded
from tenants.hierarchy import jurisdictions_below
from tenants.models import Jurisdiction, Unit

from .models import Campaign, CampaignLaunch, UnitEvaluationFigures


def jurisdictions_visible_to(user) -> QuerySet[Jurisdiction]:
    if user.is_superuser:
        return Jurisdiction.objects.all()
    return jurisdictions_below(roots=JurisdictionRole.objects.filter(user=user).values("jurisdiction_id"))


def units_overseen_by(user) -> QuerySet[Unit]:
    """Units below the user's jurisdictions (or all, for platform operators), with figures."""
    return units_below_user(user).select_related("county", "figures")


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    launched = Count("launches", filter=Q(launches__status=CampaignLaunch.Status.LAUNCHED))
    return Campaign.objects.filter(jurisdiction__in=jurisdictions_visible_to(user)).annotate(launched_count=launched)


def campaign_launches(*, campaign: Campaign) -> QuerySet[CampaignLaunch]:
    return CampaignLaunch.objects.filter(campaign=campaign).select_related("unit").order_by("unit__name", "unit_id")


def _rate(part: int, whole: int):
    return rounded(Fraction(100 * part, whole)) if whole else None


def _totals(rows) -> dict:
    scored = sum(r.scored for r in rows)
    score_sum = sum((r.score_sum for r in rows), Decimal(0))
    grades: dict[str, int] = {}
    for r in rows:
        for code, n in r.grades.items():
            grades[code] = grades.get(code, 0) + n

    return {
        "units": len(rows),
        "members": sum(r.members for r in rows),
        "scored": scored,
        "mean_score": rounded(Fraction(score_sum) / scored) if scored else None,
        "grades": grades,
        "satisfaction_rate": _rate(sum(r.public_top_two for r in rows), sum(r.public_grades for r in rows)),
        "close_out_rate": _rate(sum(r.items_closed for r in rows), sum(r.items for r in rows)),
        "fresh_as_of": min((r.fresh_as_of for r in rows), default=None),
    }


def evaluation_figures(*, user, year: int | None = None) -> dict:
    """A year's evaluation figures over the units a user oversees: each unit's row of the public
    roll-up table, and their exact totals (means from sums, not means of means)."""
    rows = UnitEvaluationFigures.objects.filter(unit__in=units_overseen_by(user)).select_related("unit")
    if year is None:
        year = rows.order_by("-year").values_list("year", flat=True).first() or 0
    rows = list(rows.filter(year=year).order_by("unit__name", "unit_id", "-evaluation_id"))
    latest: dict[int, UnitEvaluationFigures] = {}
    for row in rows:  # a unit with two evaluations in a year: its latest
        latest.setdefault(row.unit_id, row)
    units = [{"slug": r.unit.slug, "name": r.unit.name, "round_title": r.round_title, **_totals([r])} for r in latest.values()]
    return {"year": year, "totals": _totals(list(latest.values())), "units": units}
