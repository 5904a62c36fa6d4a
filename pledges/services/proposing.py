"""Proposing (提诺): drafting a pledge, editing it, submitting it for review."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from notifications.services import notify
from tenants.organization.caller import Caller, organization_children, subtree_ids
from tenants.organization.models import Member, Organization

from ..models import ItemKind, Pledge, PledgeEvent, PledgeItem, Round
from .policy import RoundRules, can_edit, is_leader, reviewer_for, rules_of
from .steps import (
    EDITABLE_STATES, ITEM_FIELDS, PROPOSE_PHASES, PledgeStep, check_phase, conflict, event_record, items_snapshot, pledge_locked,
    reviewer_user_ids, subject_name,
)

EDIT = PledgeStep(
    name=gettext_lazy("Editing"), may=can_edit, refused=gettext_lazy("Only whoever proposes the pledge edits it."),
    states=EDITABLE_STATES, wrong_state=gettext_lazy("A pledge that is %(state)s cannot be edited."), phases=PROPOSE_PHASES,
)
SUBMIT = PledgeStep(
    name=gettext_lazy("Submitting"), may=can_edit, refused=gettext_lazy("Only whoever proposes the pledge submits it."),
    states=EDITABLE_STATES, wrong_state=gettext_lazy("A pledge that is %(state)s cannot be submitted."), phases=PROPOSE_PHASES,
    already={Pledge.State.SUBMITTED: gettext_lazy("This pledge has already been submitted and is waiting for review.")},
)


def check_item(*, item: dict, round: Round, rules: RoundRules, index: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    prefix = f"items.{index}."
    if item.get("area") not in rules.areas:
        errors[prefix + "area"] = _("Choose an area in use in this round: %(areas)s.") % {"areas": ", ".join(rules.areas)}
    if item.get("kind") not in rules.kinds:
        errors[prefix + "kind"] = _("Choose a kind in use in this round: %(kinds)s.") % {"kinds": ", ".join(rules.kinds)}
    if item.get("kind") == ItemKind.CORRECTION and not (item.get("shortcoming") or "").strip():
        errors[prefix + "shortcoming"] = _("A correction names the shortcoming it corrects.")
    deadline = item.get("deadline")
    if deadline is None or not round.publish_on <= deadline <= round.evaluate_on:
        errors[prefix + "deadline"] = _("The deadline must fall within the round, between %(start)s and %(end)s.") % {
            "start": round.publish_on.isoformat(), "end": round.evaluate_on.isoformat(),
        }
    for name in ("content", "measures"):
        if not (item.get(name) or "").strip():
            errors[prefix + name] = _("This field is required.")
    return errors


def check_items(*, items: list[dict], round: Round) -> None:
    rules = rules_of(round)
    errors: dict[str, str] = {}
    for index, item in enumerate(items):
        errors.update(check_item(item=item, round=round, rules=rules, index=index))
    if errors:
        raise ValidationError(errors)


def check_item_counts(*, pledge: Pledge, items: list[PledgeItem]) -> None:
    """On submission: enough items, not too many, corrections as the round requires."""
    rules = rules_of(pledge.round)
    corrections = sum(1 for i in items if i.kind == ItemKind.CORRECTION)
    main = len(items) - corrections
    if pledge.subject in (Pledge.Subject.MEMBER, Pledge.Subject.COLLECTIVE):
        low, high = rules.member_items_min, rules.member_items_max
        # Correcting shortcomings is personal (001): required of each member, optional together.
        c_low = rules.corrections_min if pledge.subject == Pledge.Subject.MEMBER else 0
        c_high = rules.corrections_max
        member = pledge.member
        if member is not None and is_leader(member):
            low, high = low + rules.leader_extra_items, high + rules.leader_extra_items
        if member is not None and member.is_exempt:
            low, c_low = min(low, 1), 0  # retired or frail: voluntary, within their strength
    else:
        low, high = rules.organization_items_min, rules.organization_items_max
        c_low, c_high = 0, rules.corrections_max
    if main < low:
        raise ValidationError({"items": _("Too few items: at least %(n)d besides corrections (this pledge has %(have)d).") % {"n": low, "have": main}})
    if main > high:
        raise ValidationError({"items": _("Too many items: at most %(n)d besides corrections (this pledge has %(have)d).") % {"n": high, "have": main}})
    if corrections < c_low:
        raise ValidationError({"items": _("Name at least %(n)d shortcoming(s) to correct.") % {"n": c_low}})
    if corrections > c_high:
        raise ValidationError({"items": _("At most %(n)d corrections.") % {"n": c_high}})


def check_member_may_pledge(*, member: Member, round: Round) -> None:
    if member.status not in (Member.Status.ACTIVE, Member.Status.MOBILE):
        raise ValidationError({"member": _("Only active members pledge.")})
    if rules_of(round).require_post and not member.post.strip():
        raise ValidationError({"member": _("%(name)s has no post yet: the branch assigns a post first (设岗定责), then the member pledges to it.") % {"name": member.name}})


def _save_items(pledge: Pledge, items: list[dict]) -> None:
    """Replace the draft's items, keeping the ids (and comments) of items that stay."""
    existing = {i.pk: i for i in pledge.items.all()}
    given = [data["id"] for data in items if data.get("id")]
    if len(given) != len(set(given)) or not set(given) <= set(existing):
        raise ValidationError({"items": _("Each item id may appear once and must be an item of this pledge; leave the id out for a new item.")})
    keep: set[int] = set()
    for position, data in enumerate(items):
        item = existing.get(data.get("id")) if data.get("id") else None
        if item is None:
            item = PledgeItem(pledge=pledge)
        else:
            keep.add(item.pk)
        for name in ITEM_FIELDS:
            setattr(item, name, data.get(name) or ("" if name in ("expected_effect", "shortcoming") else data.get(name)))
        item.position = position
        item.save()
    for pk, item in existing.items():
        if pk not in keep:
            item.delete()


@transaction.atomic
def pledge_create(
    *, round: Round, who: Caller, items: list[dict], subject: str = Pledge.Subject.MEMBER, member: Member | None = None,
    organization: Organization | None = None, co_members: list[Member] = (), co_organizations: list[Organization] = (),
    title: str = "", today: date | None = None,
) -> Pledge:
    today = today or timezone.localdate()
    check_phase(round=round, allowed=PROPOSE_PHASES, today=today, step=_("Proposing"))
    if who.is_read_only:
        raise PermissionDenied(_("County viewers do not write in a unit."))
    if subject == Pledge.Subject.MEMBER:
        member = member or who.member
        if member is None:
            raise ValidationError({"member": _("Only a member of this unit can pledge as a member.")})
        if member.pk != who.member_id and not who.is_unit_admin:
            raise PermissionDenied(_("A member proposes their own pledge."))
        check_member_may_pledge(member=member, round=round)
        organization = member.branch
    else:
        if organization is None:
            raise ValidationError({"organization": _("Name the organisation that pledges.")})
        if not who.is_unit_admin and organization.pk not in who.led_ids:
            raise PermissionDenied(_("Only the organisation's secretary proposes its pledge."))
        if subject == Pledge.Subject.COLLECTIVE:
            if len(co_members) < 2:
                raise ValidationError({"co_members": _("A collective pledge names at least two members.")})
            scope = subtree_ids([organization.pk], organization_children())
            if any(m.branch_id not in scope and m.group_id not in scope for m in co_members):
                raise ValidationError({"co_members": _("Everyone in a collective pledge belongs to the organisation.")})
        if subject == Pledge.Subject.JOINT and len([o for o in co_organizations if o.pk != organization.pk]) < 1:
            raise ValidationError({"co_organizations": _("A joint pledge names at least one other organisation.")})
        member = None
    check_items(items=items, round=round)
    pledge = Pledge(round=round, subject=subject, member=member, organization=organization, title=title, created_by_user_id=who.user_id)
    try:
        with transaction.atomic():
            pledge.save()
    except IntegrityError:
        raise conflict(_("There is already a pledge for this subject in this round; open it and edit it instead.")) from None
    if co_members:
        pledge.co_members.set(co_members)
    if co_organizations:
        pledge.co_organizations.set([o for o in co_organizations if o.pk != organization.pk])
    _save_items(pledge, items)
    event_record(pledge, PledgeEvent.Action.CREATE, who)
    return pledge


@transaction.atomic
def pledge_update(*, pledge: Pledge, who: Caller, items: list[dict] | None = None, title: str | None = None,
                  version: int | None = None, today: date | None = None) -> Pledge:
    pledge = EDIT.begin(pledge, who, today=today or timezone.localdate(), version=version)
    if items is not None:
        check_items(items=items, round=pledge.round)
        _save_items(pledge, items)
    if title is not None:
        pledge.title = title
    pledge.version += 1
    pledge.save()
    event_record(pledge, PledgeEvent.Action.EDIT, who)
    return pledge


@transaction.atomic
def pledge_delete(*, pledge: Pledge, who: Caller) -> None:
    pledge = pledge_locked(pledge)
    if not can_edit(pledge=pledge, who=who):
        raise PermissionDenied(_("Only whoever proposes the pledge deletes it."))
    if pledge.state != Pledge.State.DRAFT or pledge.submitted_at is not None:
        raise conflict(_("Only a draft that was never submitted can be deleted; the history of a submitted pledge is kept."))
    pledge.delete()


@transaction.atomic
def pledge_submit(*, pledge: Pledge, who: Caller, version: int | None = None, today: date | None = None) -> Pledge:
    pledge = SUBMIT.begin(pledge, who, today=today or timezone.localdate(), version=version)
    if pledge.member is not None:
        check_member_may_pledge(member=pledge.member, round=pledge.round)
    items = list(pledge.items.all())
    check_item_counts(pledge=pledge, items=items)
    check_items(items=[{n: getattr(i, n) for n in ITEM_FIELDS} for i in items], round=pledge.round)
    pledge.reviewer_organization = reviewer_for(pledge=pledge, rules=rules_of(pledge.round))
    pledge.state = Pledge.State.SUBMITTED
    pledge.submitted_at = timezone.now()
    pledge.version += 1
    pledge.save()
    event_record(pledge, PledgeEvent.Action.SUBMIT, who, snapshot=items_snapshot(items))
    notify(recipient_ids=reviewer_user_ids(pledge), title=_("Pledge to review: %(who)s") % {"who": subject_name(pledge)},
           body=_("%(n)d items submitted in round %(round)s.") % {"n": len(items), "round": pledge.round})
    return pledge
