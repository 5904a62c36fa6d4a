"""Jurisdiction tree writes and the upward copy of unit figures."""
from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pledges.models import PHASE_FIELDS

from tenants.models import Jurisdiction

from .models import Campaign, CampaignLaunch, UnitFigures

logger = logging.getLogger(__name__)


def check_jurisdiction_placement(*, level: str, parent: Jurisdiction | None) -> None:
    expected = Jurisdiction.PARENT_LEVEL[Jurisdiction.Level(level)]
    if (parent.level if parent else None) != expected:
        raise ValidationError({"parent": _("A %(level)s must be placed under a %(parent)s.") % {
            "level": Jurisdiction.Level(level).label, "parent": Jurisdiction.Level(expected).label if expected else _("nothing"),
        }})


@transaction.atomic
def jurisdiction_create(*, name: str, code: str, level: str, parent: Jurisdiction | None = None) -> Jurisdiction:
    check_jurisdiction_placement(level=level, parent=parent)
    jurisdiction = Jurisdiction(name=name, code=code, level=level, parent=parent)
    jurisdiction.full_clean()
    jurisdiction.save()
    return jurisdiction


def unit_figures_refresh() -> UnitFigures:
    """Runs in a unit's schema; writes that unit's own row of the public figures table."""
    from pledges.models import Pledge, PledgeItem
    from pledges.selectors import round_current
    from tenants.organization.models import Member, Organization

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
    return figures


@transaction.atomic
def campaign_create(*, jurisdiction: Jurisdiction, year: int, theme: str, dates: dict, by) -> Campaign:
    """Record a campaign (public schema); `campaign_launch` then gives each unit its round."""
    from pledges.services import check_round_dates

    check_round_dates(dates=dates, year=year)
    campaign = Campaign(jurisdiction=jurisdiction, year=year, theme=theme, created_by=by, **{k: dates[k] for k in PHASE_FIELDS})
    campaign.full_clean()
    campaign.save()
    return campaign


def campaign_launch(*, campaign: Campaign) -> dict[str, list[str]]:
    """Give every active unit below the campaign's jurisdiction its own round. Safe to
    run again: units that have the round are skipped, and a unit's round is opened at
    most once per campaign even if the run died between the unit and the record here."""
    from accounts.models import UnitRole
    from notifications.services import notify
    from pledges.services import round_open
    from tenants.hierarchy import units_below
    from tenants.services import unit_run

    below = units_below(roots=[campaign.jurisdiction_id])
    done = set(CampaignLaunch.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    result: dict[str, list[str]] = {"launched": [], "already": [], "unavailable": [], "failed": []}
    for unit in below.order_by("name"):
        if unit.pk in done:
            result["already"].append(unit.slug)
            continue
        if not unit.is_active:
            result["unavailable"].append(unit.slug)  # provisioning or migrating: launch again later
            continue
        admins = list(UnitRole.objects.filter(unit=unit, role=UnitRole.Role.UNIT_ADMIN).values_list("user_id", flat=True))
        try:
            with unit_run(unit), transaction.atomic():
                round = round_open(year=campaign.year, theme=campaign.theme, dates=campaign.phase_dates(), campaign_id=campaign.pk)
                notify(recipient_ids=admins, title=_("New round from %(from)s: %(theme)s") % {"from": campaign.jurisdiction.name, "theme": campaign.theme},
                       body=_("Your unit has its own copy of the round; adjust its dates if needed."), dedupe_key=f"campaign:{campaign.pk}")
        except Exception:  # one unit's trouble must not stop the others; launching again retries it
            logger.exception("Campaign %s could not be launched in unit %s", campaign.pk, unit.slug)
            result["failed"].append(unit.slug)
            continue
        CampaignLaunch.objects.get_or_create(campaign=campaign, unit=unit, defaults={"round_id": round.pk})
        result["launched"].append(unit.slug)
    return result
