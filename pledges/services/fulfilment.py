"""Fulfilling (践诺): progress records with photos, reporting an item done, closing it out with
the evidence (销号) or sending it back, and chasing an overdue item (督促整改)."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from notifications.services import notify
from tenants.organization.caller import Caller

from ..attachments import attach, check_files
from ..models import Pledge, PledgeEvent, PledgeItem, ProgressRecord
from .policy import can_record_item, can_review_item, rules_of
from .steps import ItemStep, event_record, proposer_user_ids, reviewer_user_ids, subject_name

_OPEN_STATE = gettext_lazy("This item is %(state)s; progress is recorded on open items only.")
RECORD = ItemStep(
    name=gettext_lazy("Recording progress"), may=can_record_item, refused=gettext_lazy("Only whoever made the pledge records its progress."),
    states=tuple(PledgeItem.OPEN_STATES), wrong_state=_OPEN_STATE,
)
REQUEST_CLOSE = ItemStep(
    name=gettext_lazy("Reporting an item done"), may=can_record_item, refused=gettext_lazy("Only whoever made the pledge reports it done."),
    states=(PledgeItem.State.IN_PROGRESS, PledgeItem.State.OVERDUE, PledgeItem.State.RECTIFYING),
    wrong_state=gettext_lazy("This item is %(state)s and cannot be reported done."),
    already={PledgeItem.State.CLOSE_REQUESTED: gettext_lazy("This item has already been reported done and awaits verification.")},
)
CLOSE = ItemStep(
    name=gettext_lazy("Closing out"), may=can_review_item,
    refused=gettext_lazy("Only the reviewing organisation's secretary or a unit admin closes out an item."),
    states=tuple(PledgeItem.OPEN_STATES), wrong_state=gettext_lazy("This item is %(state)s and cannot be closed out."),
    already={PledgeItem.State.CLOSED: gettext_lazy("This item is already closed out.")},
)
SEND_BACK = ItemStep(
    name=gettext_lazy("Sending back"), may=can_review_item,
    refused=gettext_lazy("Only the reviewing organisation's secretary or a unit admin sends an item back."),
    states=(PledgeItem.State.CLOSE_REQUESTED,), wrong_state=gettext_lazy("Only an item reported done can be sent back; this one is %(state)s."),
)
RECTIFY = ItemStep(
    name=gettext_lazy("Ordering a rectification"), may=can_review_item,
    refused=gettext_lazy("Only the reviewing organisation's secretary or a unit admin orders a rectification."),
    states=(PledgeItem.State.OVERDUE,), wrong_state=gettext_lazy("Only an overdue item is put under rectification; this one is %(state)s."),
)


@transaction.atomic
def record_add(*, item: PledgeItem, who: Caller, text: str, recorded_on: date, files: list = (), today: date | None = None) -> ProgressRecord:
    """A progress record (记实) with optional photos and documents."""
    today = today or timezone.localdate()
    item = RECORD.begin(item, who, today=today)
    round = item.pledge.round
    if not round.publish_on <= recorded_on <= today:
        raise ValidationError({"recorded_on": _("The date must be between %(start)s and today.") % {"start": round.publish_on.isoformat()}})
    check_files(files=files, rules=rules_of(round))
    record = ProgressRecord(item=item, author=who.member, recorded_on=recorded_on, text=text.strip())
    record.full_clean()
    record.save()
    attach(files=files, record=record)
    item.record_count += 1
    item.last_record_on = max(filter(None, [item.last_record_on, recorded_on]))
    item.save(update_fields=["record_count", "last_record_on"])
    event_record(item.pledge, PledgeEvent.Action.RECORD, who, item=item, comment=text.strip()[:200])
    return record


@transaction.atomic
def item_request_close(*, item: PledgeItem, who: Caller, comment: str = "", today: date | None = None) -> PledgeItem:
    item = REQUEST_CLOSE.begin(item, who, today=today or timezone.localdate())
    if item.record_count == 0:
        raise ValidationError({"item": _("Record what was done before reporting the item done.")})
    item.state = PledgeItem.State.CLOSE_REQUESTED
    item.save(update_fields=["state"])
    event_record(item.pledge, PledgeEvent.Action.CLOSE_REQUEST, who, item=item, comment=comment.strip())
    notify(recipient_ids=reviewer_user_ids(item.pledge), title=_("Item to verify: %(who)s") % {"who": subject_name(item.pledge)}, body=item.content[:200])
    return item


@transaction.atomic
def item_close(*, item: PledgeItem, who: Caller, evidence: str, files: list = (), today: date | None = None) -> PledgeItem:
    """Close out (销号) after verification, with the evidence; done one, close one."""
    item = CLOSE.begin(item, who, today=today or timezone.localdate())
    if not evidence.strip():
        raise ValidationError({"evidence": _("Say how the item was verified (the evidence).")})
    check_files(files=files, rules=rules_of(item.pledge.round))
    item.state = PledgeItem.State.CLOSED
    item.closed_at = timezone.now()
    item.closed_by = who.member
    item.close_evidence = evidence.strip()
    item.save()
    attach(files=files, item=item)
    event_record(item.pledge, PledgeEvent.Action.CLOSE, who, item=item, comment=evidence.strip())
    if not item.pledge.items.exclude(state=PledgeItem.State.CLOSED).exists():
        item.pledge.state = Pledge.State.COMPLETED
        item.pledge.version += 1
        item.pledge.save()
    notify(recipient_ids=proposer_user_ids(item.pledge), title=_("Item closed out"), body=item.content[:200])
    return item


@transaction.atomic
def item_send_back(*, item: PledgeItem, who: Caller, comment: str, today: date | None = None) -> PledgeItem:
    today = today or timezone.localdate()
    item = SEND_BACK.begin(item, who, today=today)
    if not comment.strip():
        raise ValidationError({"comment": _("Say what is still missing.")})
    item.state = _open_state_on(item, today)
    item.save(update_fields=["state"])
    event_record(item.pledge, PledgeEvent.Action.SEND_BACK, who, item=item, comment=comment.strip())
    if item.state == PledgeItem.State.OVERDUE:  # past its date already: overdue from now on
        event_record(item.pledge, PledgeEvent.Action.OVERDUE, who, item=item)
    notify(recipient_ids=proposer_user_ids(item.pledge), title=_("Item sent back"), body=comment.strip())
    return item


def _open_state_on(item: PledgeItem, today: date) -> str:
    due = item.rectify_by or item.deadline
    if due < today:
        return PledgeItem.State.OVERDUE
    return PledgeItem.State.RECTIFYING if item.rectify_by else PledgeItem.State.IN_PROGRESS


@transaction.atomic
def item_rectify(*, item: PledgeItem, who: Caller, rectify_by: date, comment: str, today: date | None = None) -> PledgeItem:
    """Chase an overdue item (督促): rectification with a new date."""
    today = today or timezone.localdate()
    item = RECTIFY.begin(item, who, today=today)
    if not today < rectify_by <= item.pledge.round.ends_on:
        raise ValidationError({"rectify_by": _("Choose a date after today and no later than the end of the round (%(end)s).") % {"end": item.pledge.round.ends_on.isoformat()}})
    if not comment.strip():
        raise ValidationError({"comment": _("Say what must be rectified.")})
    item.state = PledgeItem.State.RECTIFYING
    item.rectify_by = rectify_by
    item.save(update_fields=["state", "rectify_by"])
    event_record(item.pledge, PledgeEvent.Action.RECTIFY, who, item=item, comment=comment.strip())
    notify(recipient_ids=proposer_user_ids(item.pledge), title=_("Rectify by %(date)s") % {"date": rectify_by.isoformat()}, body=comment.strip())
    return item
