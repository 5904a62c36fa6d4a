"""The county layer's writes: the upward copy of unit figures, and campaigns launched as tasks."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from accounts.models import UnitRole
from notifications.services import notify
from pledges.models import PHASE_FIELDS, Pledge, PledgeItem, ProgressRecord, Round
from pledges.selectors import round_current
from pledges.services import check_round_dates, round_open
from tenants.hierarchy import units_below
from tenants.organization.models import Member, Organization
from tenants.tasks import TRANSIENT_ERRORS, send_to_units
from tenants.models import Jurisdiction
from tenants.services import unit_run

from evaluations import selectors as evaluation_selectors
from evaluations.services import evaluation_adopt, scheme_check

from .models import (
    BranchFigures,
    Campaign,
    CampaignLaunch,
    FiguresSlot,
    UnitEvaluationFigures,
    UnitFigures,
    UnitFiguresDay,
    UnitRoundFigures,
)

logger = logging.getLogger(__name__)


# A change in a unit reaches the county's figures this many seconds later, once for a burst of
# changes (and at the latest with the periodic refresh, tenants.scheduling).
FIGURES_DEBOUNCE = 30


def unit_figures_refresh_soon() -> None:
    """After this transaction commits, have this unit's figures refreshed within
    FIGURES_DEBOUNCE seconds: one task per unit per window, however many rows changed."""
    if connection.schema_name == get_public_schema_name():
        return
    if any(func is _figures_refresh_send for _sids, func, _robust in connection.run_on_commit):
        return  # already due when this transaction commits
    transaction.on_commit(_figures_refresh_send)


def _figures_refresh_send() -> None:
    from .tasks import refresh_unit_figures

    if cache.add("figures-due", 1, timeout=FIGURES_DEBOUNCE):  # the cache's keys are the unit's own
        refresh_unit_figures.apply_async(countdown=FIGURES_DEBOUNCE)  # stamped with this unit's schema


def unit_opened(unit) -> None:
    """A unit that has just opened has its figures at once (zeros and its first branches), not
    only at the next periodic refresh."""
    with unit_run(unit):
        unit_figures_refresh()


def unit_figures_refresh() -> UnitFigures:
    """Runs in a unit's schema; writes that unit's own row of the public figures table."""

    unit = connection.tenant
    today = timezone.localdate()
    round = round_current(today=today)
    pledge_figures = {"round_theme": "", "round_phase": "", "members_pledged": 0, "pledge_items": 0, "items_closed": 0, "items_overdue": 0}
    if round is not None:
        items = PledgeItem.objects.filter(pledge__round=round).aggregate(
            total=Count("id"), closed=Count("id", filter=Q(state=PledgeItem.State.CLOSED)),
            overdue=Count("id", filter=Q(state=PledgeItem.State.OVERDUE)),
        )
        pledge_figures = {
            "round_theme": round.theme, "round_phase": round.phase_on(today),
            "members_pledged": Pledge.objects.filter(round=round, subject=Pledge.Subject.MEMBER).exclude(state=Pledge.State.DRAFT).count(),
            "pledge_items": items["total"], "items_closed": items["closed"], "items_overdue": items["overdue"],
        }
    members = Member.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=Member.Status.ACTIVE)),
        mobile=Count("id", filter=Q(status=Member.Status.MOBILE)),
    )
    figures, _created = UnitFigures.objects.update_or_create(
        unit_id=unit.pk,
        defaults={
            "members": members["total"],
            "active_members": members["active"],
            "mobile_members": members["mobile"],
            "branches": Organization.objects.filter(kind=Organization.Kind.BRANCH).count(),
            **pledge_figures,
            "refreshed_at": timezone.now(),
        },
    )
    unit_round_figures_refresh(round=round, today=today, now=figures.refreshed_at)
    return figures


# Progress records counted as recent: this many days up to today, today included.
RECENT_DAYS = 30


def _round_previous(round: Round | None) -> Round | None:
    if round is None:
        return None
    return Round.objects.filter(mobilise_on__lt=round.mobilise_on).exclude(pk=round.pk).order_by("-mobilise_on", "-ends_on", "-id").first()


def _counts_by_organization(round: Round, today: date) -> dict[int, dict[str, int]]:
    """Per organisation (a member's branch for members): the console's pledge figures in the
    round, from four grouped queries, whatever the unit's size."""
    enrolled = (Member.Status.ACTIVE, Member.Status.MOBILE)
    counts: dict[int, dict[str, int]] = {}

    def add(org_id: int, **values: int) -> None:
        row = counts.setdefault(org_id, dict.fromkeys(BranchFigures.COUNTS, 0))
        for name, n in values.items():
            row[name] += n

    required = Member.objects.filter(status__in=enrolled, is_exempt=False)
    for branch_id, n in required.order_by().values_list("branch_id").annotate(n=Count("id")):
        add(branch_id, members_required=n)
    pledges = Pledge.objects.filter(round=round).exclude(state=Pledge.State.DRAFT).order_by().values_list("organization_id").annotate(
        pledged=Count("member_id", distinct=True, filter=Q(subject=Pledge.Subject.MEMBER, member__status__in=enrolled, member__is_exempt=False)),
        pending=Count("id", filter=Q(state=Pledge.State.SUBMITTED)),
        approved=Count("id", filter=Q(state=Pledge.State.APPROVED)),
        published=Count("id", filter=Q(state__in=(Pledge.State.PUBLISHED, Pledge.State.COMPLETED))),
    )
    for org_id, pledged, pending, approved, published in pledges:
        add(org_id, pledged=pledged, pending_review=pending, approved=approved, published=published)
    items = PledgeItem.objects.filter(pledge__round=round).order_by().values_list("pledge__organization_id").annotate(
        total=Count("id"), closed=Count("id", filter=Q(state=PledgeItem.State.CLOSED)),
        overdue=Count("id", filter=Q(state=PledgeItem.State.OVERDUE)),
    )
    for org_id, total, closed, overdue in items:
        add(org_id, items=total, closed=closed, overdue=overdue)
    since = today - timedelta(days=RECENT_DAYS - 1)
    records = ProgressRecord.objects.filter(item__pledge__round=round, recorded_on__gte=since, recorded_on__lte=today)
    for org_id, n in records.order_by().values_list("item__pledge__organization_id").annotate(n=Count("id")):
        add(org_id, records_30d=n)
    return counts


def _evaluation_of(round: Round):
    from evaluations.models import Evaluation

    return Evaluation.objects.filter(round=round).first()


def unit_round_figures_refresh(*, round: Round | None, today: date, now) -> list[UnitRoundFigures]:
    """Runs in a unit's schema (with `unit_figures_refresh`): rewrite this unit's rows of the
    console's roll-ups — its current and previous rounds, each branch in them, and today's
    snapshot for the trend — in one transaction, so the county never reads half of a refresh."""
    unit = connection.tenant
    branches = list(Organization.objects.filter(kind=Organization.Kind.BRANCH).order_by("sort_order", "id")
                    .values_list("id", "name", "parent_id", "sort_order"))
    kept: list[UnitRoundFigures] = []
    branch_rows: list[BranchFigures] = []
    day_rows: list[UnitFiguresDay] = []
    for slot, which in ((FiguresSlot.CURRENT, round), (FiguresSlot.PREVIOUS, _round_previous(round))):
        if which is None:
            continue
        counts = _counts_by_organization(which, today)
        totals = {name: sum(row[name] for row in counts.values()) for name in BranchFigures.COUNTS}
        evaluation = _evaluation_of(which)
        grades = {}
        if evaluation is not None:
            grades = {row["branch"]["id"]: row for row in evaluation_selectors.branch_figures(evaluation=evaluation)}
        kept.append(UnitRoundFigures(
            unit_id=unit.pk, round_id=which.pk, slot=slot, year=which.year, round_title=which.title[:220],
            phase=which.phase_on(today), evaluation_id=evaluation.pk if evaluation else None,
            grade_labels={g.code: g.label for g in evaluation.grades()} if evaluation else {},
            refreshed_at=now, **totals,
        ))
        for org_id, name, parent_id, sort_order in branches:
            graded = grades.get(org_id, {})
            branch_rows.append(BranchFigures(
                unit_id=unit.pk, round_id=which.pk, organization_id=org_id, name=name, parent_id=parent_id, sort_order=sort_order,
                scored=graded.get("scored", 0), grades=graded.get("grades", {}), public_grades=graded.get("public_grades", 0),
                public_top_two=graded.get("public_top_two", 0), refreshed_at=now,
                **counts.get(org_id, dict.fromkeys(BranchFigures.COUNTS, 0)),
            ))
        if which.mobilise_on <= today <= which.ends_on or slot == FiguresSlot.CURRENT:
            day_rows.append(UnitFiguresDay(unit_id=unit.pk, round_id=which.pk, day=today,
                                           **{name: totals[name] for name in UnitFiguresDay.COUNTS}))
    round_ids = [row.round_id for row in kept]
    with transaction.atomic():
        UnitRoundFigures.objects.filter(unit_id=unit.pk).exclude(round_id__in=round_ids).delete()
        BranchFigures.objects.filter(unit_id=unit.pk).exclude(round_id__in=round_ids).delete()
        BranchFigures.objects.filter(unit_id=unit.pk).exclude(organization_id__in=[b[0] for b in branches]).delete()
        counted = list(BranchFigures.COUNTS)
        UnitRoundFigures.objects.bulk_create(
            kept, update_conflicts=True, unique_fields=["unit", "round_id"],
            update_fields=["slot", "year", "round_title", "phase", "evaluation_id", "grade_labels", "refreshed_at", *counted])
        BranchFigures.objects.bulk_create(
            branch_rows, update_conflicts=True, unique_fields=["unit", "round_id", "organization_id"],
            update_fields=["name", "parent_id", "sort_order", "scored", "grades", "public_grades", "public_top_two", "refreshed_at", *counted])
        UnitFiguresDay.objects.bulk_create(
            day_rows, update_conflicts=True, unique_fields=["unit", "round_id", "day"], update_fields=list(UnitFiguresDay.COUNTS))
    return kept


def unit_evaluation_figures_push(*, evaluation, rows: list[dict] | None = None) -> UnitEvaluationFigures:
    """Runs in a unit's schema, inside the transaction that changed its scores: write the unit's
    row of the public evaluation figures."""
    figures = evaluation_selectors.unit_figures(evaluation=evaluation, rows=rows)
    row, _created = UnitEvaluationFigures.objects.update_or_create(
        unit_id=connection.tenant.pk, evaluation_id=evaluation.pk,
        defaults={
            "year": evaluation.round.year, "round_title": evaluation.round.title,
            **{name: figures[name] for name in ("members", "scored", "score_sum", "grades", "public_grades", "public_top_two", "items", "items_closed")},
            "fresh_as_of": timezone.now(),
        },
    )
    return row


@transaction.atomic
def campaign_create(*, jurisdiction: Jurisdiction, year: int, theme: str, dates: dict, by, evaluation_scheme: dict | None = None) -> Campaign:
    """Record a campaign (public schema); `campaign_launch` then gives each unit its round (and,
    when a scheme is given, the round's evaluation with it)."""
    check_round_dates(dates=dates, year=year)
    scheme = scheme_check(evaluation_scheme) if evaluation_scheme else None
    campaign = Campaign(jurisdiction=jurisdiction, year=year, theme=theme, created_by=by, evaluation_scheme=scheme,
                        **{k: dates[k] for k in PHASE_FIELDS})
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def campaign_launch(*, campaign: Campaign) -> None:
    """Give every unit below the campaign's jurisdiction its own round — as tasks, never in
    the request: each unit gets a progress row now (pending, or unavailable while it is set
    up or upgraded) and, after commit, one unit task (`oversight.launch_campaign`). Safe to
    run again ("launch again"): launched units are left alone; pending, failed, unavailable
    and new units are sent again, and the unit task opens at most one round per campaign."""
    launches = {launch.unit_id: launch for launch in CampaignLaunch.objects.select_for_update().filter(campaign=campaign)}
    to_send: list[int] = []
    for unit in units_below(roots=[campaign.jurisdiction_id]).order_by("pk"):
        launch = launches.get(unit.pk) or CampaignLaunch(campaign=campaign, unit=unit)
        if launch.status == CampaignLaunch.Status.LAUNCHED and launch.pk:
            continue
        launch.status = CampaignLaunch.Status.PENDING if unit.is_active else CampaignLaunch.Status.UNAVAILABLE
        launch.detail = ""
        launch.save()
        if unit.is_active:
            to_send.append(unit.pk)
    if to_send:
        transaction.on_commit(lambda: send_to_units.delay("oversight.launch_campaign", to_send, {"campaign_id": campaign.pk}))


def campaign_launch_in_unit(*, campaign_id: int) -> CampaignLaunch:
    """Runs in a unit's schema (the unit task): opens the unit's copy of the round, tells its
    admins, and records it — in one transaction, so a retry finds either all of it or none.
    A failure that is not transient is recorded for the county to see, and not retried."""
    unit = connection.tenant
    launch = CampaignLaunch.objects.select_related("campaign__jurisdiction").get(campaign_id=campaign_id, unit_id=unit.pk)
    if launch.status == CampaignLaunch.Status.LAUNCHED:
        return launch
    campaign = launch.campaign
    admins = list(UnitRole.objects.filter(unit_id=unit.pk, role=UnitRole.Role.UNIT_ADMIN).values_list("user_id", flat=True))
    try:
        with transaction.atomic():
            round = round_open(year=campaign.year, theme=campaign.theme, dates=campaign.phase_dates(), campaign_id=campaign.pk)
            if campaign.evaluation_scheme:
                evaluation_adopt(round=round, scheme=campaign.evaluation_scheme)
            notify(recipient_ids=admins, title=_("New round from %(from)s: %(round)s") % {"from": campaign.jurisdiction.name, "round": campaign.title},
                   body=_("Your unit has its own copy of the round; adjust its dates if needed."), dedupe_key=f"campaign:{campaign.pk}")
            CampaignLaunch.objects.filter(pk=launch.pk).update(
                status=CampaignLaunch.Status.LAUNCHED, round_id=round.pk, launched_at=timezone.now(), detail="", updated_at=timezone.now())
    except TRANSIENT_ERRORS:
        raise  # the task retries these with backoff
    except Exception as exc:  # one unit's trouble is shown to the county; "launch again" retries it
        logger.exception("Campaign %s could not be launched in unit %s", campaign.pk, unit.slug)
        CampaignLaunch.objects.filter(pk=launch.pk).update(
            status=CampaignLaunch.Status.FAILED, detail=str(exc)[:200] or exc.__class__.__name__, updated_at=timezone.now())
    launch.refresh_from_db()
    return launch
