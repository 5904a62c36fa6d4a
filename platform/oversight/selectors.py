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


# --- The county console: read from the roll-ups only, a fixed number of queries however many units ---

from dataclasses import dataclass, field  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from django.db.models import Exists, OuterRef, Sum  # noqa: E402

from .models import BranchFigures, FiguresSlot, UnitFiguresDay, UnitRoundFigures  # noqa: E402

# The trend chart covers at most this many days back from the latest snapshot.
TREND_DAYS = 180


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage to one decimal (None: nothing to divide by), never above 100."""
    return min(rounded(Fraction(100 * part, whole)), Decimal(100)) if whole else None


@dataclass
class RoundFigures:
    """One round's figures of a unit or a branch, with the rates the console shows."""

    title: str = ""
    phase: str = ""
    members_required: int = 0
    pledged: int = 0
    pending_review: int = 0
    approved: int = 0
    published: int = 0
    items: int = 0
    closed: int = 0
    overdue: int = 0
    records_30d: int = 0
    scored: int = 0
    grades: dict = field(default_factory=dict)
    public_grades: int = 0
    public_top_two: int = 0
    present: bool = False

    @property
    def pledge_rate(self):
        return rate(self.pledged, self.members_required)

    @property
    def close_out_rate(self):
        return rate(self.closed, self.items)

    @property
    def satisfaction_rate(self):
        return rate(self.public_top_two, self.public_grades)

    def add(self, row, evaluation=None) -> None:
        self.present = True
        for name in BranchFigures.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(row, name))
        source = evaluation if evaluation is not None else (row if isinstance(row, BranchFigures) else None)
        if source is not None:
            self.scored += source.scored
            self.public_grades += source.public_grades
            self.public_top_two += source.public_top_two
            for code, n in (source.grades or {}).items():
                self.grades[code] = self.grades.get(code, 0) + n


def _from_row(row, evaluation=None) -> RoundFigures:
    figures = RoundFigures(title=getattr(row, "round_title", ""), phase=getattr(row, "phase", ""))
    figures.add(row, evaluation)
    return figures


def _grade_labels(rows) -> dict[str, str]:
    labels: dict[str, str] = {}
    for row in rows:
        for code, label in (row.grade_labels or {}).items():
            labels.setdefault(code, label)
    return labels


def _evaluations_of(rows: list[UnitRoundFigures]) -> dict[tuple[int, int], UnitEvaluationFigures]:
    wanted = {(r.unit_id, r.evaluation_id) for r in rows if r.evaluation_id}
    if not wanted:
        return {}
    found = UnitEvaluationFigures.objects.filter(unit_id__in={u for u, _e in wanted}, evaluation_id__in={e for _u, e in wanted})
    return {(f.unit_id, f.evaluation_id): f for f in found if (f.unit_id, f.evaluation_id) in wanted}


def _trend(days) -> list[dict]:
    """Daily sums (a queryset of UnitFiguresDay already filtered), oldest first, as chart points."""
    latest = days.order_by("-day").values_list("day", flat=True).first()
    if latest is None:
        return []
    sums = (days.filter(day__gt=latest - timedelta(days=TREND_DAYS)).order_by("day").values("day")
            .annotate(**{name: Sum(name) for name in UnitFiguresDay.COUNTS}))
    return [{**row, "pledge_rate": rate(row["pledged"], row["members_required"]), "close_out_rate": rate(row["closed"], row["items"])}
            for row in sums]


@dataclass
class UnitLine:
    unit: Unit
    current: RoundFigures
    previous: RoundFigures
    rank: int = 0


def console_county(*, user) -> dict:
    """The county console's page: every unit the user oversees with its current and previous
    round side by side, ranked; the totals; the trend of the current rounds; the grade
    distribution; and how fresh the figures are. Five queries, whatever the number of units."""
    units_qs = units_overseen_by(user)
    units = list(units_qs.order_by("county__name", "name", "pk"))
    rows = list(UnitRoundFigures.objects.filter(unit__in=units_qs.values("pk")))
    evaluations = _evaluations_of(rows)
    by_unit: dict[int, dict[str, UnitRoundFigures]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, {})[row.slot] = row
    lines: list[UnitLine] = []
    totals = {FiguresSlot.CURRENT: RoundFigures(), FiguresSlot.PREVIOUS: RoundFigures()}
    for unit in units:
        slots = {}
        for slot in (FiguresSlot.CURRENT, FiguresSlot.PREVIOUS):
            row = by_unit.get(unit.pk, {}).get(slot)
            evaluation = evaluations.get((row.unit_id, row.evaluation_id)) if row is not None else None
            slots[slot] = _from_row(row, evaluation) if row is not None else RoundFigures()
            if row is not None:
                totals[slot].add(row, evaluation)
        lines.append(UnitLine(unit=unit, current=slots[FiguresSlot.CURRENT], previous=slots[FiguresSlot.PREVIOUS]))
    lines = units_ranked(lines)
    current_round = Exists(UnitRoundFigures.objects.filter(unit_id=OuterRef("unit_id"), round_id=OuterRef("round_id"), slot=FiguresSlot.CURRENT))
    trend = _trend(UnitFiguresDay.objects.filter(unit__in=units_qs.values("pk")).filter(current_round))
    refreshed = [r.refreshed_at for r in rows]
    return {
        "units": lines, "current": totals[FiguresSlot.CURRENT], "previous": totals[FiguresSlot.PREVIOUS], "trend": trend,
        "grade_labels": _grade_labels(r for r in rows if r.slot == FiguresSlot.CURRENT),
        "refreshed_oldest": min(refreshed, default=None), "refreshed_latest": max(refreshed, default=None),
        "units_without_figures": sum(1 for line in lines if not line.current.present),
    }


def units_ranked(lines: list[UnitLine]) -> list[UnitLine]:
    """Best first: close-out rate, then pledge rate, then public satisfaction of the current
    round; units without figures last. Equal figures share a rank."""
    def key(line: UnitLine):
        c = line.current
        return (c.present, c.close_out_rate or 0, c.pledge_rate or 0, c.satisfaction_rate or 0)

    ordered = sorted(lines, key=lambda line: (tuple(-float(v) if not isinstance(v, bool) else -v for v in key(line)), line.unit.name))
    previous_key, rank = None, 0
    for position, line in enumerate(ordered, start=1):
        if key(line) != previous_key:
            rank, previous_key = position, key(line)
        line.rank = rank
    return ordered


@dataclass
class BranchLine:
    organization_id: int
    name: str
    current: RoundFigures
    previous: RoundFigures


def console_unit(*, unit: Unit) -> dict:
    """One unit's page of the console (for its county, and for the unit's own admins): its two
    rounds, each branch side by side, the unit's trend and grades. Four queries."""
    rows = {row.slot: row for row in UnitRoundFigures.objects.filter(unit=unit)}
    evaluations = _evaluations_of(list(rows.values()))
    current, previous = rows.get(FiguresSlot.CURRENT), rows.get(FiguresSlot.PREVIOUS)
    figures = {}
    for slot, row in ((FiguresSlot.CURRENT, current), (FiguresSlot.PREVIOUS, previous)):
        figures[slot] = _from_row(row, evaluations.get((unit.pk, row.evaluation_id))) if row is not None else RoundFigures()
    round_slot = {row.round_id: slot for slot, row in rows.items()}
    branches: dict[int, BranchLine] = {}
    for row in BranchFigures.objects.filter(unit=unit, round_id__in=list(round_slot)).order_by("sort_order", "organization_id"):
        line = branches.setdefault(row.organization_id, BranchLine(row.organization_id, row.name, RoundFigures(), RoundFigures()))
        target = line.current if round_slot[row.round_id] == FiguresSlot.CURRENT else line.previous
        target.add(row)
        if round_slot[row.round_id] == FiguresSlot.CURRENT:
            line.name = row.name
    trend = _trend(UnitFiguresDay.objects.filter(unit=unit, round_id=current.round_id)) if current is not None else []
    refreshed = [r.refreshed_at for r in rows.values()]
    return {
        "unit": unit, "current": figures[FiguresSlot.CURRENT], "previous": figures[FiguresSlot.PREVIOUS],
        "branches": list(branches.values()), "trend": trend, "grade_labels": _grade_labels(rows.values()),
        "refreshed_oldest": min(refreshed, default=None), "refreshed_latest": max(refreshed, default=None),
    }


def console_unit_for(*, user, slug: str) -> Unit | None:
    """The unit named, if the user oversees it (None otherwise: the caller answers 404)."""
    return units_overseen_by(user).filter(slug=slug).first()


def console_allowed(user) -> bool:
    """Who has the county console: platform operators and admins of a jurisdiction."""
    return user.is_authenticated and (user.is_superuser or JurisdictionRole.objects.filter(user=user).exists())


# --- Inside a unit (the request was routed into the unit's schema): its branches' members ---

def console_round(*, slot: str):
    """The unit's round for a slot of the console (current or previous); None if it has none."""
    from pledges.models import Round
    from pledges.selectors import round_current

    current = round_current()
    if slot != FiguresSlot.PREVIOUS or current is None:
        return current
    return Round.objects.filter(mobilise_on__lt=current.mobilise_on).exclude(pk=current.pk).order_by("-mobilise_on", "-ends_on", "-id").first()


def console_branch(*, branch_id: int):
    from tenants.organization.models import Organization

    return Organization.objects.filter(pk=branch_id, kind=Organization.Kind.BRANCH).first()


def console_branch_members(*, branch_id: int, round, today: date) -> list[dict]:
    """Each member of a branch with their pledge in the round: three queries, whatever the size."""
    from pledges.models import Pledge, PledgeItem, ProgressRecord
    from tenants.organization.models import Member

    from .services import RECENT_DAYS

    members = list(Member.objects.filter(branch_id=branch_id).exclude(status__in=(Member.Status.TRANSFERRED_OUT, Member.Status.DECEASED))
                   .order_by("name", "id").only("id", "name", "status", "is_exempt", "post"))
    pledges, records = {}, {}
    if round is not None:
        pledges = {p.member_id: p for p in Pledge.objects.filter(round=round, subject=Pledge.Subject.MEMBER, member__branch_id=branch_id).annotate(
            item_count=Count("items"), closed_count=Count("items", filter=Q(items__state=PledgeItem.State.CLOSED)),
            overdue_count=Count("items", filter=Q(items__state=PledgeItem.State.OVERDUE)),
        ).only("id", "member_id", "state")}
        since = today - timedelta(days=RECENT_DAYS - 1)
        records = dict(ProgressRecord.objects.filter(item__pledge__round=round, item__pledge__member__branch_id=branch_id,
                                                     recorded_on__gte=since, recorded_on__lte=today)
                       .order_by().values_list("item__pledge__member_id").annotate(n=Count("id")))
    lines = []
    for member in members:
        pledge = pledges.get(member.pk)
        lines.append({
            "member": member, "pledge": pledge, "state": pledge.get_state_display() if pledge else "",
            "items": pledge.item_count if pledge else 0, "closed": pledge.closed_count if pledge else 0,
            "overdue": pledge.overdue_count if pledge else 0, "records_30d": records.get(member.pk, 0),
            "close_out_rate": rate(pledge.closed_count, pledge.item_count) if pledge else None,
        })
    return lines


def console_member(*, member_id: int, round) -> dict | None:
    """A member's pledge in the round, item by item (read-only)."""
    from pledges.models import Pledge
    from tenants.organization.models import Member

    member = Member.objects.select_related("branch").filter(pk=member_id).first()
    if member is None:
        return None
    pledge = Pledge.objects.filter(round=round, subject=Pledge.Subject.MEMBER, member=member).first() if round is not None else None
    items = list(pledge.items.order_by("position", "id")) if pledge is not None else []
    return {"member": member, "pledge": pledge, "items": items}
