"""Reviewing (审诺) and publishing (示诺): approve after the checklist, return with comments per
item or ask for a new proposal, publish one pledge or a whole round."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from notifications.services import notify
from tenants.organization.caller import Caller
from tenants.organization.models import Member

from ..board import board_changed
from ..models import Pledge, PledgeEvent, PledgeItem, Round
from .policy import can_review, rules_of
from .steps import PUBLISH_PHASES, REVIEW_PHASES, PledgeStep, check_phase, event_record, proposer_user_ids

REVIEW = PledgeStep(
    name=gettext_lazy("Reviewing"), may=can_review,
    refused=gettext_lazy("Only the reviewing organisation's secretary or a unit admin reviews this pledge."),
    states=(Pledge.State.SUBMITTED,), wrong_state=gettext_lazy("Only a submitted pledge can be reviewed; this one is %(state)s."),
    phases=REVIEW_PHASES,
)
PUBLISH = PledgeStep(
    name=gettext_lazy("Publishing"), may=can_review,
    refused=gettext_lazy("Only the reviewing organisation's secretary or a unit admin publishes this pledge."),
    states=(Pledge.State.APPROVED,), wrong_state=gettext_lazy("Only an approved pledge can be published; this one is %(state)s."),
    phases=PUBLISH_PHASES,
)


@transaction.atomic
def pledge_approve(*, pledge: Pledge, who: Caller, checklist: list[str], comment: str = "",
                   version: int | None = None, today: date | None = None) -> Pledge:
    """Approve after going through the round's review checklist point by point."""
    pledge = REVIEW.begin(pledge, who, today=today or timezone.localdate(), version=version)
    required = list(rules_of(pledge.round).review_checklist)
    missing = [point for point in required if point not in set(checklist)]
    if missing:
        raise ValidationError({"checklist": _("Confirm each point of the review checklist before approving: %(points)s.") % {"points": "; ".join(missing)}})
    pledge.state = Pledge.State.APPROVED
    pledge.approved_at = timezone.now()
    pledge.reviewed_by = who.member
    pledge.checklist = {point: True for point in required}
    pledge.version += 1
    pledge.save()
    pledge.items.update(review_comment="")
    event_record(pledge, PledgeEvent.Action.APPROVE, who, comment=comment)
    notify(recipient_ids=proposer_user_ids(pledge), title=_("Pledge approved"),
           body=_("Your pledge in round %(round)s was approved; sign the pledge letter.") % {"round": pledge.round})
    return pledge


@transaction.atomic
def pledge_return(*, pledge: Pledge, who: Caller, comment: str = "", item_comments: dict[int, str] | None = None,
                  redo: bool = False, version: int | None = None, today: date | None = None) -> Pledge:
    """Return for revision (修改完善) with comments per item, or ask for a new proposal (重新提出)."""
    pledge = REVIEW.begin(pledge, who, today=today or timezone.localdate(), version=version)
    item_comments = {int(k): v.strip() for k, v in (item_comments or {}).items() if v and v.strip()}
    items = {i.pk: i for i in pledge.items.all()}
    unknown = set(item_comments) - set(items)
    if unknown:
        raise ValidationError({"item_comments": _("These items are not in this pledge: %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))}})
    if not comment.strip() and not item_comments:
        raise ValidationError({"comment": _("Say what needs to change: a comment, or a comment on an item.")})
    pledge.state = Pledge.State.REDO if redo else Pledge.State.RETURNED
    pledge.reviewed_by = who.member
    pledge.version += 1
    pledge.save()
    event_record(pledge, PledgeEvent.Action.REDO if redo else PledgeEvent.Action.RETURN, who, comment=comment.strip())
    for pk, text in item_comments.items():
        item = items[pk]
        item.review_comment = text
        item.save(update_fields=["review_comment"])
        event_record(pledge, PledgeEvent.Action.COMMENT, who, item=item, comment=text)
    title = _("Pledge to propose again") if redo else _("Pledge returned for revision")
    notify(recipient_ids=proposer_user_ids(pledge), title=title, body=comment.strip() or _("See the comments on the items."))
    return pledge


@transaction.atomic
def pledge_publish(*, pledge: Pledge, who: Caller, today: date | None = None) -> Pledge:
    """Publish on the public board (示诺); its items start being fulfilled."""
    pledge = PUBLISH.begin(pledge, who, today=today or timezone.localdate())
    _publish(pledge, who)
    return pledge


def _publish(pledge: Pledge, who: Caller | None) -> None:
    pledge.state = Pledge.State.PUBLISHED
    pledge.published_at = timezone.now()
    pledge.version += 1
    pledge.save()
    # Items start together with their pledge: one statement; the pledge's audit entry and the
    # publish event record the step.
    pledge.items.filter(state=PledgeItem.State.PROPOSED).update(state=PledgeItem.State.IN_PROGRESS)
    event_record(pledge, PledgeEvent.Action.PUBLISH, who)
    notify(recipient_ids=proposer_user_ids(pledge), title=_("Pledge published"),
           body=_("Your pledge is on the public board: now record your progress every month."))


@transaction.atomic
def round_publish_approved(*, round: Round, who: Caller, today: date | None = None) -> int:
    """A unit admin publishes every approved pledge of the round at once: each pledge saved (and
    audited) on its own, items, history and one message to all proposers in bulk."""
    today = today or timezone.localdate()
    if not who.is_unit_admin:
        raise PermissionDenied(_("Only unit admins publish a whole round."))
    check_phase(round=round, allowed=PUBLISH_PHASES, today=today, step=_("Publishing"))
    pledges = list(
        Pledge.objects.select_for_update(of=("self",)).select_related("member", "organization")
        .filter(round=round, state=Pledge.State.APPROVED).order_by("pk")
    )
    if not pledges:
        return 0
    now = timezone.now()
    for pledge in pledges:
        pledge.state, pledge.published_at, pledge.version = Pledge.State.PUBLISHED, now, pledge.version + 1
        pledge.save(update_fields=["state", "published_at", "version", "updated_at"])
    ids = [p.pk for p in pledges]
    PledgeItem.objects.filter(pledge_id__in=ids, state=PledgeItem.State.PROPOSED).update(state=PledgeItem.State.IN_PROGRESS)
    board_changed()
    PledgeEvent.objects.bulk_create(
        [PledgeEvent(pledge=p, action=PledgeEvent.Action.PUBLISH, actor=who.member, actor_user_id=who.user_id) for p in pledges]
    )
    recipients = {p.member.user_id for p in pledges if p.member_id and p.member.user_id}
    secretaries = {p.organization.secretary_id for p in pledges if p.subject != Pledge.Subject.MEMBER and p.organization.secretary_id}
    recipients |= set(Member.objects.filter(pk__in=secretaries, user_id__isnull=False).values_list("user_id", flat=True))
    recipients |= set(Pledge.co_members.through.objects.filter(pledge_id__in=ids, member__user_id__isnull=False).values_list("member__user_id", flat=True))
    notify(recipient_ids=recipients, title=_("Pledge published"),
           body=_("Your pledge is on the public board: now record your progress every month."))
    return len(pledges)
