"""Every change to rounds, pledges and items goes through here: the one state machine.

Each `do`-style function locks what it changes, checks the caller's role, the round's
phase and the current state (`check_*` refuse with the reason), changes the state,
writes the history event and queues the messages — all in one transaction, so a
refused or failed step leaves nothing behind. The audit trail records each change
through `AuditedModel`.

Refusals: wrong state or phase → ValidationError(code="conflict") → 409; wrong role →
PermissionDenied → 403; bad content → ValidationError → 400.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import UnitRole
from notifications.services import notify
from tenants.organization.models import Member, Organization

from .attachments import ATTACHMENT_SIGNATURES, attach, check_files
from .models import ItemKind, PHASE_FIELDS, Phase, Pledge, PledgeEvent, PledgeItem, PledgeRules, ProgressRecord, Reviewer, Round
from tenants.organization.caller import Caller, organization_children, subtree_ids

from .selectors import rules_current

ITEM_FIELDS = ("content", "area", "kind", "measures", "deadline", "expected_effect", "shortcoming")
EDITABLE_STATES = (Pledge.State.DRAFT, Pledge.State.RETURNED, Pledge.State.REDO)
LEADER_TIERS = (Member.Tier.COUNTY_LEADER, Member.Tier.TOWNSHIP_LEADER)

# Which phases allow which steps (DOMAIN.md "The cycle").
PROPOSE_PHASES = (Phase.PROPOSE, Phase.REVIEW)
REVIEW_PHASES = (Phase.PROPOSE, Phase.REVIEW, Phase.PUBLISH)
PUBLISH_PHASES = (Phase.PUBLISH, Phase.FULFIL)
FULFIL_PHASES = (Phase.PUBLISH, Phase.FULFIL, Phase.EVALUATE)


def conflict(message: str) -> ValidationError:
    return ValidationError(message, code="conflict")


# ---------------------------------------------------------------- rules and rounds

@dataclass(frozen=True)
class RoundRules:
    """A round's own copy of the rules (see `Round.rules`)."""

    data: dict

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:  # a round opened before a rule existed gets its default
            return PledgeRules._meta.get_field(name).get_default()


RULE_FIELDS = [f.name for f in PledgeRules._meta.concrete_fields if f.name not in ("id", "updated_at")]


def rules_snapshot(rules: PledgeRules) -> dict:
    return model_to_dict(rules, fields=RULE_FIELDS)


def rules_of(round: Round) -> RoundRules:
    return RoundRules(round.rules)


def check_rules(*, rules: PledgeRules) -> None:
    errors: dict[str, str] = {}
    for low, high in (("member_items_min", "member_items_max"), ("organization_items_min", "organization_items_max"), ("corrections_min", "corrections_max")):
        if getattr(rules, low) > getattr(rules, high):
            errors[low] = _("The fewest cannot be more than the most.")
    if not rules.areas:
        errors["areas"] = _("Keep at least one area.")
    if not rules.kinds:
        errors["kinds"] = _("Keep at least one kind.")
    if rules.corrections_min and ItemKind.CORRECTION not in (rules.kinds or []):
        errors["corrections_min"] = _("Corrections are required but the correction kind is not in use.")
    if not 1 <= rules.monthly_reminder_day <= 28:
        errors["monthly_reminder_day"] = _("Choose a day between 1 and 28.")
    if not 1 <= rules.attachment_max_mb <= 50:
        errors["attachment_max_mb"] = _("Choose between 1 and 50 MB.")
    unknown_types = set(rules.attachment_types or []) - set(ATTACHMENT_SIGNATURES)
    if unknown_types or not rules.attachment_types:
        errors["attachment_types"] = _("Choose among: %(types)s.") % {"types": ", ".join(ATTACHMENT_SIGNATURES)}
    templates = rules.common_templates or {}
    if not isinstance(templates, dict) or any(
        tier not in Member.Tier.values or not isinstance(texts, list) or not all(isinstance(t, str) and 0 < len(t) <= 1000 for t in texts)
        for tier, texts in templates.items()
    ):
        errors["common_templates"] = _("Give a list of texts for each member tier (%(tiers)s).") % {"tiers": ", ".join(Member.Tier.values)}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rules_update(*, changes: dict) -> PledgeRules:
    """Changes apply to rounds opened from now on; running rounds keep their copy."""
    rules = rules_current()
    rules = PledgeRules.objects.select_for_update().get(pk=rules.pk)
    for name, value in changes.items():
        setattr(rules, name, value)
    check_rules(rules=rules)
    rules.full_clean()
    rules.save()
    return rules


def check_round_dates(*, dates: dict[str, date], year: int | None = None) -> None:
    """Phases follow one another and stay near the round's year (a round may begin the year
    before, 001: July, and run into the next two, 002: to the Party congress)."""
    previous = None
    for name in PHASE_FIELDS:
        day = dates.get(name)
        if day is None:
            raise ValidationError({name: _("This date is required.")})
        if year is not None and not year - 1 <= day.year <= year + 2:
            raise ValidationError({name: _("Keep the dates of a %(year)d round between %(start)d and %(end)d.") % {"year": year, "start": year - 1, "end": year + 2}})
        if previous is not None and day < dates[previous]:
            raise ValidationError({name: _("Phases must follow one another: this date cannot be before %(date)s.") % {"date": dates[previous].isoformat()}})
        previous = name


@transaction.atomic
def round_open(*, year: int, theme: str, dates: dict[str, date], campaign_id: int | None = None) -> Round:
    """Open a round with a copy of the unit's current rules. From a campaign: once per unit."""
    if campaign_id is not None:
        existing = Round.objects.filter(campaign_id=campaign_id).first()
        if existing is not None:
            return existing
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})
    check_round_dates(dates=dates, year=year)
    round = Round(year=year, theme=theme, campaign_id=campaign_id, rules=rules_snapshot(rules_current()), **{k: dates[k] for k in PHASE_FIELDS})
    round.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            round.save()
    except IntegrityError:  # the same campaign, launched twice at once: one round
        return Round.objects.get(campaign_id=campaign_id)
    # Mobilise (亮身份): every member with a login hears of the round and when to propose.
    members = Member.objects.filter(status__in=(Member.Status.ACTIVE, Member.Status.MOBILE), user_id__isnull=False)
    notify(recipient_ids=members.values_list("user_id", flat=True), title=_("New pledge round: %(theme)s") % {"theme": theme},
           body=_("Propose your pledge between %(start)s and %(end)s.") % {"start": round.propose_on.isoformat(), "end": (round.publish_on).isoformat()},
           dedupe_key=f"round-open:{round.pk}")
    return round


@transaction.atomic
def round_update(*, round: Round, theme: str | None = None, dates: dict[str, date] | None = None) -> Round:
    """A unit adjusts its round's dates (also a campaign's copy); the rules copy never changes."""
    round = Round.objects.select_for_update().get(pk=round.pk)
    if theme is not None:
        round.theme = theme
    if dates:
        merged = {name: dates.get(name, getattr(round, name)) for name in PHASE_FIELDS}
        check_round_dates(dates=merged, year=round.year)
        for name, value in merged.items():
            setattr(round, name, value)
    round.full_clean()
    round.save()
    return round


def check_phase(*, round: Round, allowed: tuple[str, ...], today: date, step: str) -> None:
    phase = round.phase_on(today)
    if phase not in allowed:
        raise conflict(_("%(step)s is not possible in the %(phase)s phase of round %(round)s; it is allowed in: %(allowed)s.") % {
            "step": step, "phase": Phase(phase).label, "round": round, "allowed": ", ".join(str(Phase(p).label) for p in allowed),
        })


# ---------------------------------------------------------------- who may do what

def can_edit(*, pledge: Pledge, who: Caller) -> bool:
    if who.is_read_only:
        return False
    if who.is_unit_admin:
        return True
    if pledge.subject == Pledge.Subject.MEMBER:
        return pledge.member_id is not None and pledge.member_id == who.member_id
    return pledge.organization_id in who.led_ids


def can_review(*, pledge: Pledge, who: Caller) -> bool:
    if who.is_read_only:
        return False
    # Nobody reviews or closes out what they pledged or proposed — unit admins included.
    if who.member_id is not None and (pledge.member_id == who.member_id or who.member_id in _co_member_ids(pledge)):
        return False
    if who.is_unit_admin:
        return True
    if can_edit(pledge=pledge, who=who):
        return False
    return pledge.reviewer_organization_id is not None and pledge.reviewer_organization_id in who.oversees_ids


def can_record(*, pledge: Pledge, who: Caller, co_member_ids: set[int]) -> bool:
    if who.is_read_only:
        return False
    if who.is_unit_admin:
        return True
    if pledge.subject == Pledge.Subject.MEMBER:
        return pledge.member_id == who.member_id
    if pledge.subject == Pledge.Subject.COLLECTIVE and who.member_id in co_member_ids:
        return True
    return pledge.organization_id in who.led_ids


def _co_member_ids(pledge: Pledge) -> set[int]:
    if pledge.subject != Pledge.Subject.COLLECTIVE or pledge.pk is None:
        return set()
    return set(pledge.co_members.values_list("pk", flat=True))


def _branch_of(organization: Organization) -> Organization:
    return organization.parent if organization.kind == Organization.Kind.GROUP and organization.parent_id else organization


def reviewer_for(*, pledge: Pledge, rules: RoundRules) -> Organization | None:
    """Whose secretary reviews this pledge (None: the unit admins)."""
    if pledge.subject in (Pledge.Subject.MEMBER, Pledge.Subject.COLLECTIVE):
        branch = _branch_of(pledge.organization)
        choice = rules.member_reviewer
        reviewer = branch if choice == Reviewer.BRANCH else branch.parent if choice == Reviewer.PARENT else None
    elif rules.organization_reviewer == Reviewer.UNIT_ADMIN:
        reviewer = None
    else:
        reviewer = pledge.organization.parent
    # Nobody reviews what they proposed: a secretary's own pledge (or their organisation's)
    # goes to the organisation above (002: the upper secretary reviews secretaries).
    proposers = {pledge.member_id} if pledge.subject == Pledge.Subject.MEMBER else {pledge.organization.secretary_id} | _co_member_ids(pledge)
    while reviewer is not None and reviewer.secretary_id is not None and reviewer.secretary_id in proposers:
        reviewer = reviewer.parent
    return reviewer


def _is_leader(member: Member) -> bool:
    return member.tier in LEADER_TIERS or Organization.objects.filter(secretary=member).exists()


# ---------------------------------------------------------------- drafting

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
        if member is not None and _is_leader(member):
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


def _event(pledge: Pledge, action: str, who: Caller | None, *, item: PledgeItem | None = None, comment: str = "", snapshot=None) -> PledgeEvent:
    return PledgeEvent.objects.create(
        pledge=pledge, item=item, action=action, comment=comment, snapshot=snapshot,
        actor=who.member if who else None, actor_user_id=who.user_id if who else None,
    )


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
    _event(pledge, PledgeEvent.Action.CREATE, who)
    return pledge


def _locked(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update(of=("self",)).select_related("round", "member", "organization", "reviewer_organization").get(pk=pledge.pk)


def check_version(*, pledge: Pledge, version: int | None) -> None:
    if version is not None and version != pledge.version:
        raise conflict(_("Someone changed this pledge meanwhile (version %(now)d, you edited %(yours)d). Reload it and try again.") % {"now": pledge.version, "yours": version})


@transaction.atomic
def pledge_update(*, pledge: Pledge, who: Caller, items: list[dict] | None = None, title: str | None = None,
                  version: int | None = None, today: date | None = None) -> Pledge:
    pledge = _locked(pledge)
    today = today or timezone.localdate()
    check_version(pledge=pledge, version=version)
    if not can_edit(pledge=pledge, who=who):
        raise PermissionDenied(_("Only whoever proposes the pledge edits it."))
    if pledge.state not in EDITABLE_STATES:
        raise conflict(_("A pledge that is %(state)s cannot be edited.") % {"state": pledge.get_state_display()})
    check_phase(round=pledge.round, allowed=PROPOSE_PHASES, today=today, step=_("Editing"))
    if items is not None:
        check_items(items=items, round=pledge.round)
        _save_items(pledge, items)
    if title is not None:
        pledge.title = title
    pledge.version += 1
    pledge.save()
    _event(pledge, PledgeEvent.Action.EDIT, who)
    return pledge


@transaction.atomic
def pledge_delete(*, pledge: Pledge, who: Caller) -> None:
    pledge = _locked(pledge)
    if not can_edit(pledge=pledge, who=who):
        raise PermissionDenied(_("Only whoever proposes the pledge deletes it."))
    if pledge.state != Pledge.State.DRAFT or pledge.submitted_at is not None:
        raise conflict(_("Only a draft that was never submitted can be deleted; the history of a submitted pledge is kept."))
    pledge.delete()


def _items_snapshot(items: list[PledgeItem]) -> list[dict]:
    return [{"id": i.pk, **{n: (getattr(i, n).isoformat() if n == "deadline" else getattr(i, n)) for n in ITEM_FIELDS}} for i in items]


def _reviewer_user_ids(pledge: Pledge) -> list[int]:
    reviewer = pledge.reviewer_organization
    if reviewer is not None and reviewer.secretary_id:
        user_id = Member.objects.filter(pk=reviewer.secretary_id).values_list("user_id", flat=True).first()
        if user_id:
            return [user_id]
    return list(UnitRole.objects.filter(unit=connection.tenant, role=UnitRole.Role.UNIT_ADMIN).values_list("user_id", flat=True))


def _proposer_user_ids(pledge: Pledge) -> list[int]:
    if pledge.subject == Pledge.Subject.MEMBER:
        return [pledge.member.user_id] if pledge.member.user_id else []
    ids = []
    if pledge.organization.secretary_id:
        ids += Member.objects.filter(pk=pledge.organization.secretary_id, user_id__isnull=False).values_list("user_id", flat=True)
    ids += pledge.co_members.filter(user_id__isnull=False).values_list("user_id", flat=True)
    return list(ids)


def _subject_name(pledge: Pledge) -> str:
    return pledge.member.name if pledge.subject == Pledge.Subject.MEMBER else pledge.organization.name


@transaction.atomic
def pledge_submit(*, pledge: Pledge, who: Caller, version: int | None = None, today: date | None = None) -> Pledge:
    pledge = _locked(pledge)
    today = today or timezone.localdate()
    check_version(pledge=pledge, version=version)
    if not can_edit(pledge=pledge, who=who):
        raise PermissionDenied(_("Only whoever proposes the pledge submits it."))
    if pledge.state == Pledge.State.SUBMITTED:
        raise conflict(_("This pledge has already been submitted and is waiting for review."))
    if pledge.state not in EDITABLE_STATES:
        raise conflict(_("A pledge that is %(state)s cannot be submitted.") % {"state": pledge.get_state_display()})
    check_phase(round=pledge.round, allowed=PROPOSE_PHASES, today=today, step=_("Submitting"))
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
    _event(pledge, PledgeEvent.Action.SUBMIT, who, snapshot=_items_snapshot(items))
    notify(recipient_ids=_reviewer_user_ids(pledge), title=_("Pledge to review: %(who)s") % {"who": _subject_name(pledge)},
           body=_("%(n)d items submitted in round %(round)s.") % {"n": len(items), "round": pledge.round})
    return pledge


def _check_reviewable(pledge: Pledge, who: Caller, today: date, version: int | None) -> None:
    check_version(pledge=pledge, version=version)
    if not can_review(pledge=pledge, who=who):
        raise PermissionDenied(_("Only the reviewing organisation's secretary or a unit admin reviews this pledge."))
    if pledge.state != Pledge.State.SUBMITTED:
        raise conflict(_("Only a submitted pledge can be reviewed; this one is %(state)s.") % {"state": pledge.get_state_display()})
    check_phase(round=pledge.round, allowed=REVIEW_PHASES, today=today, step=_("Reviewing"))


@transaction.atomic
def pledge_approve(*, pledge: Pledge, who: Caller, checklist: list[str], comment: str = "",
                   version: int | None = None, today: date | None = None) -> Pledge:
    """Approve after going through the round's review checklist point by point."""
    pledge = _locked(pledge)
    today = today or timezone.localdate()
    _check_reviewable(pledge, who, today, version)
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
    _event(pledge, PledgeEvent.Action.APPROVE, who, comment=comment)
    notify(recipient_ids=_proposer_user_ids(pledge), title=_("Pledge approved"),
           body=_("Your pledge in round %(round)s was approved; sign the pledge letter.") % {"round": pledge.round})
    return pledge


@transaction.atomic
def pledge_return(*, pledge: Pledge, who: Caller, comment: str = "", item_comments: dict[int, str] | None = None,
                  redo: bool = False, version: int | None = None, today: date | None = None) -> Pledge:
    """Return for revision (修改完善) with comments per item, or ask for a new proposal (重新提出)."""
    pledge = _locked(pledge)
    today = today or timezone.localdate()
    _check_reviewable(pledge, who, today, version)
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
    _event(pledge, PledgeEvent.Action.REDO if redo else PledgeEvent.Action.RETURN, who, comment=comment.strip())
    for pk, text in item_comments.items():
        item = items[pk]
        item.review_comment = text
        item.save(update_fields=["review_comment"])
        _event(pledge, PledgeEvent.Action.COMMENT, who, item=item, comment=text)
    title = _("Pledge to propose again") if redo else _("Pledge returned for revision")
    notify(recipient_ids=_proposer_user_ids(pledge), title=title, body=comment.strip() or _("See the comments on the items."))
    return pledge


@transaction.atomic
def pledge_publish(*, pledge: Pledge, who: Caller, today: date | None = None) -> Pledge:
    """Publish on the public board (示诺); its items start being fulfilled."""
    pledge = _locked(pledge)
    today = today or timezone.localdate()
    if not can_review(pledge=pledge, who=who):
        raise PermissionDenied(_("Only the reviewing organisation's secretary or a unit admin publishes this pledge."))
    if pledge.state != Pledge.State.APPROVED:
        raise conflict(_("Only an approved pledge can be published; this one is %(state)s.") % {"state": pledge.get_state_display()})
    check_phase(round=pledge.round, allowed=PUBLISH_PHASES, today=today, step=_("Publishing"))
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
    _event(pledge, PledgeEvent.Action.PUBLISH, who)
    notify(recipient_ids=_proposer_user_ids(pledge), title=_("Pledge published"),
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


# ---------------------------------------------------------------- fulfilment

def _locked_item(item: PledgeItem) -> PledgeItem:
    # Lock the pledge first, then the item: the same order everywhere, so no deadlocks.
    pledge = _locked(item.pledge)
    locked = PledgeItem.objects.select_for_update().get(pk=item.pk)
    locked.pledge = pledge
    return locked


def _check_fulfilling(item: PledgeItem, today: date, step: str) -> None:
    if item.pledge.state not in (Pledge.State.PUBLISHED, Pledge.State.COMPLETED):
        raise conflict(_("The pledge is not published yet."))
    check_phase(round=item.pledge.round, allowed=FULFIL_PHASES, today=today, step=step)


@transaction.atomic
def record_add(*, item: PledgeItem, who: Caller, text: str, recorded_on: date, files: list = (), today: date | None = None) -> ProgressRecord:
    """A progress record (记实) with optional photos and documents."""
    item = _locked_item(item)
    today = today or timezone.localdate()
    co_ids = set(item.pledge.co_members.values_list("pk", flat=True)) if item.pledge.subject == Pledge.Subject.COLLECTIVE else set()
    if not can_record(pledge=item.pledge, who=who, co_member_ids=co_ids):
        raise PermissionDenied(_("Only whoever made the pledge records its progress."))
    _check_fulfilling(item, today, _("Recording progress"))
    if item.state not in PledgeItem.OPEN_STATES:
        raise conflict(_("This item is %(state)s; progress is recorded on open items only.") % {"state": item.get_state_display()})
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
    _event(item.pledge, PledgeEvent.Action.RECORD, who, item=item, comment=text.strip()[:200])
    return record


@transaction.atomic
def item_request_close(*, item: PledgeItem, who: Caller, comment: str = "", today: date | None = None) -> PledgeItem:
    item = _locked_item(item)
    today = today or timezone.localdate()
    co_ids = set(item.pledge.co_members.values_list("pk", flat=True)) if item.pledge.subject == Pledge.Subject.COLLECTIVE else set()
    if not can_record(pledge=item.pledge, who=who, co_member_ids=co_ids):
        raise PermissionDenied(_("Only whoever made the pledge reports it done."))
    _check_fulfilling(item, today, _("Reporting an item done"))
    if item.state == PledgeItem.State.CLOSE_REQUESTED:
        raise conflict(_("This item has already been reported done and awaits verification."))
    if item.state not in (PledgeItem.State.IN_PROGRESS, PledgeItem.State.OVERDUE, PledgeItem.State.RECTIFYING):
        raise conflict(_("This item is %(state)s and cannot be reported done.") % {"state": item.get_state_display()})
    if item.record_count == 0:
        raise ValidationError({"item": _("Record what was done before reporting the item done.")})
    item.state = PledgeItem.State.CLOSE_REQUESTED
    item.save(update_fields=["state"])
    _event(item.pledge, PledgeEvent.Action.CLOSE_REQUEST, who, item=item, comment=comment.strip())
    notify(recipient_ids=_reviewer_user_ids(item.pledge), title=_("Item to verify: %(who)s") % {"who": _subject_name(item.pledge)}, body=item.content[:200])
    return item


@transaction.atomic
def item_close(*, item: PledgeItem, who: Caller, evidence: str, files: list = (), today: date | None = None) -> PledgeItem:
    """Close out (销号) after verification, with the evidence; done one, close one."""
    item = _locked_item(item)
    today = today or timezone.localdate()
    if not can_review(pledge=item.pledge, who=who):
        raise PermissionDenied(_("Only the reviewing organisation's secretary or a unit admin closes out an item."))
    _check_fulfilling(item, today, _("Closing out"))
    if item.state == PledgeItem.State.CLOSED:
        raise conflict(_("This item is already closed out."))
    if item.state not in PledgeItem.OPEN_STATES:
        raise conflict(_("This item is %(state)s and cannot be closed out.") % {"state": item.get_state_display()})
    if not evidence.strip():
        raise ValidationError({"evidence": _("Say how the item was verified (the evidence).")})
    check_files(files=files, rules=rules_of(item.pledge.round))
    item.state = PledgeItem.State.CLOSED
    item.closed_at = timezone.now()
    item.closed_by = who.member
    item.close_evidence = evidence.strip()
    item.save()
    attach(files=files, item=item)
    _event(item.pledge, PledgeEvent.Action.CLOSE, who, item=item, comment=evidence.strip())
    if not item.pledge.items.exclude(state=PledgeItem.State.CLOSED).exists():
        item.pledge.state = Pledge.State.COMPLETED
        item.pledge.version += 1
        item.pledge.save()
    notify(recipient_ids=_proposer_user_ids(item.pledge), title=_("Item closed out"), body=item.content[:200])
    return item


@transaction.atomic
def item_send_back(*, item: PledgeItem, who: Caller, comment: str, today: date | None = None) -> PledgeItem:
    item = _locked_item(item)
    today = today or timezone.localdate()
    if not can_review(pledge=item.pledge, who=who):
        raise PermissionDenied(_("Only the reviewing organisation's secretary or a unit admin sends an item back."))
    _check_fulfilling(item, today, _("Sending back"))
    if item.state != PledgeItem.State.CLOSE_REQUESTED:
        raise conflict(_("Only an item reported done can be sent back; this one is %(state)s.") % {"state": item.get_state_display()})
    if not comment.strip():
        raise ValidationError({"comment": _("Say what is still missing.")})
    item.state = _open_state_on(item, today)
    item.save(update_fields=["state"])
    _event(item.pledge, PledgeEvent.Action.SEND_BACK, who, item=item, comment=comment.strip())
    if item.state == PledgeItem.State.OVERDUE:  # past its date already: overdue from now on
        _event(item.pledge, PledgeEvent.Action.OVERDUE, who, item=item)
    notify(recipient_ids=_proposer_user_ids(item.pledge), title=_("Item sent back"), body=comment.strip())
    return item


def _open_state_on(item: PledgeItem, today: date) -> str:
    due = item.rectify_by or item.deadline
    if due < today:
        return PledgeItem.State.OVERDUE
    return PledgeItem.State.RECTIFYING if item.rectify_by else PledgeItem.State.IN_PROGRESS


@transaction.atomic
def item_rectify(*, item: PledgeItem, who: Caller, rectify_by: date, comment: str, today: date | None = None) -> PledgeItem:
    """Chase an overdue item (督促): rectification with a new date."""
    item = _locked_item(item)
    today = today or timezone.localdate()
    if not can_review(pledge=item.pledge, who=who):
        raise PermissionDenied(_("Only the reviewing organisation's secretary or a unit admin orders a rectification."))
    _check_fulfilling(item, today, _("Ordering a rectification"))
    if item.state != PledgeItem.State.OVERDUE:
        raise conflict(_("Only an overdue item is put under rectification; this one is %(state)s.") % {"state": item.get_state_display()})
    if not today < rectify_by <= item.pledge.round.ends_on:
        raise ValidationError({"rectify_by": _("Choose a date after today and no later than the end of the round (%(end)s).") % {"end": item.pledge.round.ends_on.isoformat()}})
    if not comment.strip():
        raise ValidationError({"comment": _("Say what must be rectified.")})
    item.state = PledgeItem.State.RECTIFYING
    item.rectify_by = rectify_by
    item.save(update_fields=["state", "rectify_by"])
    _event(item.pledge, PledgeEvent.Action.RECTIFY, who, item=item, comment=comment.strip())
    notify(recipient_ids=_proposer_user_ids(item.pledge), title=_("Rectify by %(date)s") % {"date": rectify_by.isoformat()}, body=comment.strip())
    return item


# ---------------------------------------------------------------- post assignment

@transaction.atomic
def member_post_assign(*, member: Member, post: str, who: Caller) -> Member:
    """设岗定责: the branch gives a member without a post one to pledge to."""
    if who.is_read_only or not (who.is_unit_admin or member.branch_id in who.oversees_ids):
        raise PermissionDenied(_("Only the secretary of the member's branch (or above) or a unit admin assigns posts."))
    post = post.strip()
    if not post:
        raise ValidationError({"post": _("Name the post.")})
    member = Member.objects.select_for_update().get(pk=member.pk)
    member.post = post
    member.full_clean()
    member.save()
    if member.user_id:
        notify(recipient_ids=[member.user_id], title=_("Your post: %(post)s") % {"post": post},
               body=_("You can now make your pledge for this post."))
    return member
