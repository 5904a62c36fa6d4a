"""Scheduled supervision of a round, per the unit's cadence (每月一记实、每季度一检查、每半年一通报):
overdue detection, deadline warnings, the monthly record reminder, the quarterly check
summary for secretaries and the half-year bulletin per branch.

Every job may run any number of times (beat runs them hourly, a killed worker runs
them again): each message carries a dedupe key naming its period, and each state
change is made only once, so nothing is sent or changed twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import OutboxMessage
from notifications.services import notify
from tenants.organization.models import Member, Organization

from .models import Bulletin, Phase, Pledge, PledgeEvent, PledgeItem, Round
from .board import board_changed
from .selectors import members_without_record_in_month, round_current
from .services import FULFIL_PHASES, rules_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Period:
    name: str  # 2026Q3, 2026H1: the key in bulletins and message keys, never shown
    start: date
    end: date

    @property
    def label(self) -> str:
        """The period as people say it (2026年第3季度, 2026年上半年), in messages and bulletins."""
        year, part = int(self.name[:4]), self.name[4:]
        if part == "H1":
            return _("first half of %(year)d") % {"year": year}
        if part == "H2":
            return _("second half of %(year)d") % {"year": year}
        return _("Q%(quarter)d %(year)d") % {"quarter": int(part[1:]), "year": year}


def last_quarter(today: date) -> Period:
    quarter = (today.month - 1) // 3  # the current quarter, 0-based; the last one ended before it began
    year, q = (today.year, quarter) if quarter > 0 else (today.year - 1, 4)
    start = date(year, 3 * (q - 1) + 1, 1)
    end = (date(year + (q == 4), (3 * q) % 12 + 1, 1)) - timedelta(days=1)
    return Period(f"{year}Q{q}", start, end)


def last_half(today: date) -> Period:
    if today.month > 6:
        return Period(f"{today.year}H1", date(today.year, 1, 1), date(today.year, 6, 30))
    return Period(f"{today.year - 1}H2", date(today.year - 1, 7, 1), date(today.year - 1, 12, 31))


def _overlaps_fulfilment(round: Round, period: Period) -> bool:
    return period.end >= round.publish_on and period.start <= round.evaluate_on


def _already_sent(key: str) -> bool:
    return OutboxMessage.objects.filter(dedupe_key=key).exists()


def _secretary_user_ids(organization: Organization) -> list[int]:
    if not organization.secretary_id:
        return []
    return list(Member.objects.filter(pk=organization.secretary_id, user_id__isnull=False).values_list("user_id", flat=True))


def overdue_detect(*, today: date, chunk: int = 200) -> int:
    """Open items past their deadline (or rectification date) become overdue; the member and
    the branch secretary are told. Works in chunks, each one transaction: a killed worker
    leaves every item either changed and announced, or untouched for the next run."""
    open_states = (PledgeItem.State.IN_PROGRESS, PledgeItem.State.RECTIFYING)
    secretaries: dict[int, list[int]] = {}
    changed = 0
    due = PledgeItem.objects.annotate(due=Coalesce("rectify_by", "deadline")).filter(
        state__in=open_states, due__lt=today, pledge__state=Pledge.State.PUBLISHED
    )
    while True:
        with transaction.atomic():
            # Pledges first, then their items: the order every service locks in, so no deadlock.
            batch = list(due.order_by("pk").values_list("pk", "pledge_id")[:chunk])
            if not batch:
                return changed
            list(Pledge.objects.select_for_update().filter(pk__in={p for _i, p in batch}).order_by("pk").values_list("pk"))
            items = list(
                due.select_for_update(of=("self",)).select_related("pledge__member", "pledge__organization")
                .filter(pk__in=[i for i, _p in batch]).order_by("pk")
            )
            for item in items:
                item.state = PledgeItem.State.OVERDUE
                item.save(update_fields=["state"])
                organization = item.pledge.organization
                if organization.pk not in secretaries:
                    secretaries[organization.pk] = _secretary_user_ids(organization)
                recipients = list(secretaries[organization.pk])
                if item.pledge.member and item.pledge.member.user_id:
                    recipients.append(item.pledge.member.user_id)
                notify(recipient_ids=recipients, title=_("Overdue: %(item)s") % {"item": item.content[:60]},
                       body=_("Due on %(date)s and not closed out.") % {"date": item.due.isoformat()}, dedupe_key=f"overdue:{item.pk}:{item.due}", topic="pledge.overdue")
            PledgeEvent.objects.bulk_create([PledgeEvent(pledge=item.pledge, item=item, action=PledgeEvent.Action.OVERDUE) for item in items])
            board_changed()
            changed += len(items)


def deadline_warnings_send(*, round: Round, today: date) -> int:
    """One warning per item and deadline, some days before it."""
    days = rules_of(round).deadline_warning_days
    if not days:
        return 0
    items = (
        PledgeItem.objects.annotate(due=Coalesce("rectify_by", "deadline"))
        .filter(pledge__round=round, pledge__state=Pledge.State.PUBLISHED,
                state__in=(PledgeItem.State.IN_PROGRESS, PledgeItem.State.RECTIFYING),
                due__gte=today, due__lte=today + timedelta(days=days))
        .values_list("pk", "due", "content", "pledge__member__user_id", "pledge__organization__secretary__user_id")
    )
    sent = 0
    for pk, due_on, content, member_user_id, secretary_user_id in items:
        # A member's own item: the member; an organisation's (or a collective) item: its secretary.
        user_id = member_user_id or secretary_user_id
        key = f"deadline:{pk}:{due_on}"
        if user_id is None or _already_sent(key):
            continue
        with transaction.atomic():
            notify(recipient_ids=[user_id], title=_("Due on %(date)s: %(item)s") % {"date": due_on.isoformat(), "item": content[:60]},
                   body=_("Record your progress and report it done when it is."), dedupe_key=key, topic="pledge.due", routine=True)
        sent += 1
    return sent


def monthly_reminders_send(*, round: Round, today: date) -> int:
    """Remind members with open items and no record this month (from the unit's reminder day)."""
    rules = rules_of(round)
    if not rules.monthly_record or today.day < rules.monthly_reminder_day or round.phase_on(today) not in FULFIL_PHASES:
        return 0
    key = f"monthly-reminder:{round.pk}:{today:%Y-%m}"
    if _already_sent(key):
        return 0
    recipients = list(members_without_record_in_month(round=round, month_start=today.replace(day=1)).values_list("user_id", flat=True))
    if not recipients:
        return 0
    with transaction.atomic():
        notify(recipient_ids=recipients, title=_("Record your pledge progress for %(month)s") % {"month": f"{today:%Y-%m}"},
               body=_("You have no progress record this month. Add one from the app: what you did, with a photo if you have one."), dedupe_key=key,
               topic="pledge.record_reminder", routine=True)
    return len(recipients)


def branch_figures(*, round: Round, period: Period) -> dict[int, list[dict]]:
    """Per branch, per member: items, closed, overdue and records in the period (one query)."""
    rows = (
        PledgeItem.objects.filter(pledge__round=round, pledge__subject=Pledge.Subject.MEMBER, pledge__state__in=(Pledge.State.PUBLISHED, Pledge.State.COMPLETED))
        .values("pledge__organization_id", "pledge__member_id", name=F("pledge__member__name"))
        .annotate(
            items=Count("id", distinct=True),
            closed=Count("id", filter=Q(state=PledgeItem.State.CLOSED), distinct=True),
            overdue=Count("id", filter=Q(state=PledgeItem.State.OVERDUE), distinct=True),
            records=Count("records", filter=Q(records__recorded_on__gte=period.start, records__recorded_on__lte=period.end)),
        )
        .order_by("pledge__organization_id", "name")
    )
    by_branch: dict[int, list[dict]] = {}
    for row in rows:
        by_branch.setdefault(row["pledge__organization_id"], []).append(
            {"member_id": row["pledge__member_id"], "name": row["name"], "items": row["items"], "closed": row["closed"],
             "overdue": row["overdue"], "records": row["records"]}
        )
    return by_branch


def quarterly_summaries_send(*, round: Round, today: date) -> int:
    """After each quarter: every branch secretary gets the branch's check summary."""
    period = last_quarter(today)
    if not rules_of(round).quarterly_check or not _overlaps_fulfilment(round, period) or today > round.ends_on + timedelta(days=31):
        return 0
    sent = 0
    figures = None
    for branch in Organization.objects.filter(kind=Organization.Kind.BRANCH, secretary__isnull=False):
        key = f"quarterly:{round.pk}:{period.name}:{branch.pk}"
        if _already_sent(key):
            continue
        figures = figures if figures is not None else branch_figures(round=round, period=period)
        rows = figures.get(branch.pk, [])
        silent = [r["name"] for r in rows if r["records"] == 0]
        body = _("%(items)d items, %(closed)d closed out, %(overdue)d overdue. No record this quarter: %(silent)s.") % {
            "items": sum(r["items"] for r in rows), "closed": sum(r["closed"] for r in rows),
            "overdue": sum(r["overdue"] for r in rows), "silent": "、".join(silent) or _("none"),
        }
        with transaction.atomic():
            notify(recipient_ids=_secretary_user_ids(branch), title=_("%(branch)s: quarterly check %(period)s") % {"branch": branch.name, "period": period.label},
                   body=body, dedupe_key=key)
        sent += 1
    return sent


def half_year_bulletins_publish(*, round: Round, today: date) -> int:
    """After each half year: a bulletin (通报) per branch — who is ahead, who is behind — sent to its members."""
    period = last_half(today)
    if not rules_of(round).half_year_bulletin or not _overlaps_fulfilment(round, period) or today > round.ends_on + timedelta(days=62):
        return 0
    figures = branch_figures(round=round, period=period)
    published = 0
    for branch in Organization.objects.filter(kind=Organization.Kind.BRANCH, pk__in=figures.keys()):
        rows = figures[branch.pk]
        ranked = sorted(rows, key=lambda r: (-r["closed"], -r["records"], r["name"]))
        ahead = [r["name"] for r in ranked if r["closed"] > 0 or r["records"] > 0][:5]
        behind = [r["name"] for r in rows if r["overdue"] > 0 or (r["records"] == 0 and r["closed"] < r["items"])]
        with transaction.atomic():
            bulletin, created = Bulletin.objects.get_or_create(
                round=round, organization=branch, period=period.name,
                defaults={"figures": {"members": rows, "ahead": ahead, "behind": behind}},
            )
            if not created:
                continue
            recipients = Member.objects.filter(branch=branch, user_id__isnull=False).values_list("user_id", flat=True)
            notify(recipient_ids=recipients, title=_("%(branch)s bulletin %(period)s") % {"branch": branch.name, "period": period.label},
                   body=_("Ahead: %(ahead)s. Behind: %(behind)s.") % {"ahead": "、".join(ahead) or _("none"), "behind": "、".join(behind) or _("none")},
                   dedupe_key=f"bulletin:{bulletin.pk}")
        published += 1
    return published


def phase_reminders_send(*, round: Round, today: date) -> int:
    """The phase dates remind too: in the last days of proposing, members who have not pledged
    yet; in the last days of review, each secretary with pledges still waiting for them."""
    days = rules_of(round).deadline_warning_days
    phase = round.phase_on(today)
    sent = 0
    if phase == Phase.PROPOSE and (round.review_on - today).days <= days:
        key = f"propose-reminder:{round.pk}"
        if not _already_sent(key):
            recipients = list(
                Member.objects.filter(status__in=(Member.Status.ACTIVE, Member.Status.MOBILE), is_exempt=False, user_id__isnull=False)
                .exclude(Exists(Pledge.objects.filter(round=round, member_id=OuterRef("pk")).exclude(state=Pledge.State.DRAFT)))
                .values_list("user_id", flat=True)
            )
            if recipients:
                with transaction.atomic():
                    notify(recipient_ids=recipients, title=_("Propose your pledge by %(date)s") % {"date": round.review_on.isoformat()},
                           body=_("Round %(round)s: draft your pledge in the app and submit it to your branch.") % {"round": round}, dedupe_key=key,
                           topic="pledge.propose_reminder", routine=True)
                sent += len(recipients)
    if phase == Phase.REVIEW and (round.publish_on - today).days <= days:
        waiting = (
            Pledge.objects.filter(round=round, state=Pledge.State.SUBMITTED, reviewer_organization__secretary__user_id__isnull=False)
            .values("reviewer_organization__secretary__user_id").annotate(n=Count("id"))
        )
        for row in waiting:
            user_id = row["reviewer_organization__secretary__user_id"]
            key = f"review-reminder:{round.pk}:{user_id}"
            if _already_sent(key):
                continue
            with transaction.atomic():
                notify(recipient_ids=[user_id], title=_("%(n)d pledges wait for your review") % {"n": row["n"]},
                       body=_("Review them before %(date)s, when publishing begins.") % {"date": round.publish_on.isoformat()}, dedupe_key=key,
                       topic="pledge.review_reminder", routine=True)
            sent += 1
    return sent


def cadence_run(*, today: date | None = None) -> dict[str, int]:
    """Everything due today for the unit's current round."""
    today = today or timezone.localdate()
    round = round_current(today=today)
    if round is None:
        return {}
    done = {"overdue": overdue_detect(today=today), "phase_reminders": phase_reminders_send(round=round, today=today)}
    if round.phase_on(today) in FULFIL_PHASES:
        done["deadline_warnings"] = deadline_warnings_send(round=round, today=today)
        done["monthly_reminders"] = monthly_reminders_send(round=round, today=today)
    done["quarterly_summaries"] = quarterly_summaries_send(round=round, today=today)
    done["bulletins"] = half_year_bulletins_publish(round=round, today=today)
    logger.info("Pledge cadence for round %s on %s: %s", round.pk, today, done)
    return done
