"""Who may do what to a pledge, and whose secretary reviews it; the round's copy of the rules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.forms.models import model_to_dict

from tenants.organization.caller import Caller
from tenants.organization.models import Member, Organization

from ..models import Pledge, PledgeItem, PledgeRules, Reviewer, Round
from .steps import LEADER_TIERS

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


def can_record_item(*, item: PledgeItem, who: Caller) -> bool:
    co_ids = set(item.pledge.co_members.values_list("pk", flat=True)) if item.pledge.subject == Pledge.Subject.COLLECTIVE else set()
    return can_record(pledge=item.pledge, who=who, co_member_ids=co_ids)


def can_review_item(*, item: PledgeItem, who: Caller) -> bool:
    return can_review(pledge=item.pledge, who=who)


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


def is_leader(member: Member) -> bool:
    return member.tier in LEADER_TIERS or Organization.objects.filter(secretary=member).exists()
