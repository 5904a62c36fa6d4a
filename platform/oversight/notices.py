"""Notices from a jurisdiction to its units (the county layer's side of notifications).

Sending records the notice and one row per unit in the public schema, in one transaction; after
commit, one unit task per unit (`oversight.carry_notice`, never one per person) records it in the
unit, where the unit's own pipeline resolves the recipients and fans it out set-based. Each unit
pushes its delivery and read counts back up to its row (in the fan-out's transaction, and a few
seconds after reads), so the sender follows county → unit → organisation without the county ever
reading a unit's schema. The unit rows are the public side's outbox: a row still pending after a
broker outage is sent again by `notices_sweep`.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from notifications import services as notices
from notifications.audience import ROLES
from notifications.models import Notice
from notifications.selectors import notice_counts
from tenants.hierarchy import units_below
from tenants.models import Jurisdiction, Unit
from tenants.tasks import send_to_units

from .models import CountyNotice, CountyNoticeUnit
from .selectors import jurisdictions_visible_to

logger = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=2)  # a unit row still pending this long is sent again by the sweep
COUNTS_DEBOUNCE = 2  # seconds: reads reach the county's counts this soon, once per burst
MAX_UNITS = 5000


# --- Sending (public schema) ---------------------------------------------------------------------

def _jurisdiction_of(user, jurisdiction_id) -> Jurisdiction:
    visible = jurisdictions_visible_to(user)
    if jurisdiction_id is None:
        own = list(visible.filter(roles__user=user).distinct()[:2]) if not user.is_superuser else []
        if len(own) != 1:
            raise ValidationError({"jurisdiction": _("Choose the jurisdiction the notice is sent from.")})
        return own[0]
    found = visible.filter(pk=jurisdiction_id).first() if isinstance(jurisdiction_id, int) else None
    if found is None:
        raise ValidationError({"jurisdiction": _("You do not administer this jurisdiction.")})
    return found


@transaction.atomic
def county_notice_send(*, user, title, body="", units=None, role="members", channels=None, urgent=False, jurisdiction_id=None) -> CountyNotice:
    """A notice to every unit of the sender's jurisdiction (`units` None) or to chosen ones (slugs),
    to everyone or to a role. Refused, with nothing sent, when the audience is empty or foreign or a
    unit is being set up or upgraded (it could not receive it now)."""
    if not user.is_authenticated:
        raise PermissionDenied
    jurisdiction = _jurisdiction_of(user, jurisdiction_id)
    title, body = notices.notice_text_check(title=title, body=body)
    channels = notices.channels_check(channels)
    if role not in ROLES:
        raise ValidationError({"role": _("Unknown role: choose members, secretaries or unit admins.")})
    below = units_below(roots=[jurisdiction.pk])
    if units is None:
        targets = list(below.order_by("pk"))
        if not targets:
            raise ValidationError({"units": _("There is no unit in this jurisdiction to send to.")})
    else:
        if not isinstance(units, list) or not units or not all(isinstance(s, str) for s in units) or len(units) > MAX_UNITS:
            raise ValidationError({"units": _("Choose at least one unit.")})
        targets = list(below.filter(slug__in=set(units)).order_by("pk"))
        if len(targets) != len(set(units)):
            raise ValidationError({"units": _("Some of the chosen units are not in your jurisdiction.")})
    closed = [unit.name for unit in targets if unit.status != Unit.Status.ACTIVE]
    if closed:
        raise ValidationError(_("Being set up or upgraded, so nothing was sent: %(units)s. Send again once they are open.") % {
            "units": "、".join(closed[:10]) + ("…" if len(closed) > 10 else "")}, code="conflict")
    notice = CountyNotice.objects.create(jurisdiction=jurisdiction, sender=user, title=title, body=body, urgent=bool(urgent),
                                         channels=channels, role=role, whole_jurisdiction=units is None)
    CountyNoticeUnit.objects.bulk_create([CountyNoticeUnit(notice=notice, unit=unit) for unit in targets])
    transaction.on_commit(lambda: _send_to_units(notice.pk, [unit.pk for unit in targets]), robust=True)
    return notice


def _send_to_units(notice_id: int, unit_ids: list[int]) -> None:
    send_to_units.delay("oversight.carry_notice", unit_ids, {"county_notice_id": notice_id})
    CountyNoticeUnit.objects.filter(notice_id=notice_id, unit_id__in=unit_ids, status=CountyNoticeUnit.Status.PENDING).update(sent_at=timezone.now())


def notices_sweep() -> int:
    """Send again, unit by unit, what is still pending a while after it was committed (the broker
    was down at commit, or the task was lost). The unit task records the notice once whatever happens."""
    stale = timezone.now() - RESEND_AFTER
    rows = list(CountyNoticeUnit.objects.filter(status=CountyNoticeUnit.Status.PENDING, unit__status=Unit.Status.ACTIVE)
                .filter(Q(sent_at__isnull=True) | Q(sent_at__lt=stale)).values_list("notice_id", "unit_id")[:MAX_UNITS])
    by_notice: dict[int, list[int]] = {}
    for notice_id, unit_id in rows:
        by_notice.setdefault(notice_id, []).append(unit_id)
    for notice_id, unit_ids in by_notice.items():
        _send_to_units(notice_id, unit_ids)
    return len(rows)


@transaction.atomic
def county_notice_remind(*, notice: CountyNotice, user) -> CountyNotice:
    """Remind, in every unit that has the notice, those who have not read it yet."""
    notice = CountyNotice.objects.select_for_update().get(pk=notice.pk)
    notices.remind_again_check(last=notice.reminded_at)
    unit_ids = list(CountyNoticeUnit.objects.filter(notice=notice, status=CountyNoticeUnit.Status.DELIVERED, read__lt=F("delivered"))
                    .values_list("unit_id", flat=True))
    if not unit_ids:
        raise ValidationError(_("Everyone who received this notice has read it."), code="conflict")
    CountyNotice.objects.filter(pk=notice.pk).update(reminders=F("reminders") + 1, reminded_at=timezone.now())
    number = notice.reminders + 1
    transaction.on_commit(lambda: send_to_units.delay("oversight.remind_notice", unit_ids, {"county_notice_id": notice.pk, "number": number}), robust=True)
    notice.refresh_from_db()
    return notice


# --- In a unit (unit tasks and signal receivers) -------------------------------------------------

def county_notice_carry(*, county_notice_id: int) -> Notice:
    """Runs in a unit's schema: the unit's copy of the county's notice, fanned out by the unit's pipeline."""
    county = CountyNotice.objects.select_related("jurisdiction").get(pk=county_notice_id)
    return notices.notice_carry(county_notice_id=county.pk, title=county.title, body=county.body,
                                audience={"kind": "unit", "role": county.role}, channels=county.channels,
                                urgent=county.urgent, sender_name=county.jurisdiction.name)


def county_notice_remind_in_unit(*, county_notice_id: int, number: int) -> Notice | None:
    notice = Notice.objects.filter(county_notice_id=county_notice_id).first()
    if notice is None:
        return None
    try:
        return notices.notice_remind(notice=notice, who=None, dedupe_key=f"county-remind:{county_notice_id}:{number}")
    except ValidationError:  # everyone here has read it, or it is still arriving: nothing to remind
        return None


def counts_push(notice: Notice) -> None:
    """Runs in a unit's schema: write this unit's counts of a county notice to its public row."""
    counts = notice_counts(notice)
    CountyNoticeUnit.objects.filter(notice_id=notice.county_notice_id, unit_id=connection.tenant.pk).update(
        status=CountyNoticeUnit.Status.DELIVERED, recipients=counts["recipients"], delivered=counts["delivered"], read=counts["read"],
        by_organisation=counts["by_organisation"], delivered_at=notice.fanned_out_at, updated_at=timezone.now())


def on_notice_delivered(sender, notice, **kwargs) -> None:
    if notice.county_notice_id is not None:
        counts_push(notice)  # in the fan-out's transaction: delivered shows when it commits


def on_notices_read(sender, notice_ids, **kwargs) -> None:
    """Reads reach the county's counts within COUNTS_DEBOUNCE seconds: one task per notice per burst."""
    county = list(Notice.objects.filter(pk__in=notice_ids, county_notice_id__isnull=False).values_list("pk", flat=True))
    if county:
        unit = connection.tenant  # the callback may run after the request has left the unit's schema
        transaction.on_commit(lambda: _counts_push_soon(unit, county), robust=True)


def _counts_push_soon(unit, notice_ids: list[int]) -> None:
    from .tasks import push_notice_counts

    with tenant_context(unit):  # the task is stamped with (and runs in) this unit's schema
        for notice_id in notice_ids:
            if cache.add(f"notice-counts-due:{notice_id}", 1, timeout=COUNTS_DEBOUNCE):  # the cache's keys are the unit's own
                push_notice_counts.apply_async(args=[notice_id], countdown=COUNTS_DEBOUNCE)


# --- Reads ---------------------------------------------------------------------------------------

def county_notices_visible(user) -> QuerySet[CountyNotice]:
    """Notices of the jurisdictions the user administers (and those below), with their totals."""
    return (CountyNotice.objects.filter(jurisdiction__in=jurisdictions_visible_to(user))
            .select_related("jurisdiction")
            .annotate(units_total=Count("units"), units_delivered=Count("units", filter=Q(units__status=CountyNoticeUnit.Status.DELIVERED)),
                      recipients_total=Sum("units__recipients", default=0), delivered_total=Sum("units__delivered", default=0),
                      read_total=Sum("units__read", default=0)))


def county_notice_units(notice: CountyNotice) -> QuerySet[CountyNoticeUnit]:
    return CountyNoticeUnit.objects.filter(notice=notice).select_related("unit").order_by("unit__name", "unit_id")
