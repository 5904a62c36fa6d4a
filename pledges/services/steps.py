"""What every step of the pledge cycle shares: locks, the check of the version the caller
edited, of their role, of the state and of the round's phase, in one order (`PledgeStep`,
`ItemStep`), the history event, and who is told.

Refusals: wrong state or phase → ValidationError(code="conflict") → 409; wrong role →
PermissionDenied → 403; bad content → ValidationError → 400.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.models import UnitRole
from tenants.organization.caller import Caller
from tenants.organization.models import Member

from ..board import board_changed
from ..models import Phase, Pledge, PledgeEvent, PledgeItem, Round

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


def check_phase(*, round: Round, allowed: tuple[str, ...], today: date, step: str) -> None:
    phase = round.phase_on(today)
    if phase not in allowed:
        raise conflict(_("%(step)s is not possible in the %(phase)s phase of round %(round)s; it is allowed in: %(allowed)s.") % {
            "step": step, "phase": Phase(phase).label, "round": round, "allowed": ", ".join(str(Phase(p).label) for p in allowed),
        })


def check_version(*, pledge: Pledge, version: int | None) -> None:
    if version is not None and version != pledge.version:
        raise conflict(_("Someone changed this pledge meanwhile (version %(now)d, you edited %(yours)d). Reload it and try again.") % {"now": pledge.version, "yours": version})


def pledge_locked(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update(of=("self",)).select_related("round", "member", "organization", "reviewer_organization").get(pk=pledge.pk)


def item_locked(item: PledgeItem) -> PledgeItem:
    # Lock the pledge first, then the item: the same order everywhere, so no deadlocks.
    pledge = pledge_locked(item.pledge)
    locked = PledgeItem.objects.select_for_update().get(pk=item.pk)
    locked.pledge = pledge
    return locked


@dataclass(frozen=True)
class PledgeStep:
    """A step on a pledge: lock it, check the version the caller edited, the caller's role, the
    pledge's state (a step already taken gets its own message), then the round's phase."""

    name: Promise  # "Submitting", shown in the phase refusal
    may: Callable[..., bool]  # the policy: may this caller take this step on this pledge?
    refused: Promise  # why not, when the policy says no
    states: tuple[str, ...]
    wrong_state: Promise  # with %(state)s
    phases: tuple[str, ...] | None  # None: any phase
    already: dict[str, Promise] = field(default_factory=dict)

    def begin(self, pledge: Pledge, who: Caller, *, today: date, version: int | None = None) -> Pledge:
        pledge = pledge_locked(pledge)
        check_version(pledge=pledge, version=version)
        if not self.may(pledge=pledge, who=who):
            raise PermissionDenied(str(self.refused))
        if pledge.state in self.already:
            raise conflict(str(self.already[pledge.state]))
        if pledge.state not in self.states:
            raise conflict(str(self.wrong_state) % {"state": pledge.get_state_display()})
        if self.phases is not None:
            check_phase(round=pledge.round, allowed=self.phases, today=today, step=str(self.name))
        return pledge


@dataclass(frozen=True)
class ItemStep:
    """A step on an item of a published pledge: lock pledge then item, check the caller's role,
    that the pledge is published and the round in a fulfilling phase, then the item's state."""

    name: Promise
    may: Callable[..., bool]  # (item=, who=)
    refused: Promise
    states: tuple[str, ...]
    wrong_state: Promise
    already: dict[str, Promise] = field(default_factory=dict)

    def begin(self, item: PledgeItem, who: Caller, *, today: date) -> PledgeItem:
        item = item_locked(item)
        if not self.may(item=item, who=who):
            raise PermissionDenied(str(self.refused))
        if item.pledge.state not in (Pledge.State.PUBLISHED, Pledge.State.COMPLETED):
            raise conflict(_("The pledge is not published yet."))
        check_phase(round=item.pledge.round, allowed=FULFIL_PHASES, today=today, step=str(self.name))
        if item.state in self.already:
            raise conflict(str(self.already[item.state]))
        if item.state not in self.states:
            raise conflict(str(self.wrong_state) % {"state": item.get_state_display()})
        return item


def event_record(pledge: Pledge, action: str, who: Caller | None, *, item: PledgeItem | None = None, comment: str = "", snapshot=None) -> PledgeEvent:
    board_changed()  # every step is recorded here; the public board is rebuilt after it
    return PledgeEvent.objects.create(
        pledge=pledge, item=item, action=action, comment=comment, snapshot=snapshot,
        actor=who.member if who else None, actor_user_id=who.user_id if who else None,
    )


def items_snapshot(items: list[PledgeItem]) -> list[dict]:
    return [{"id": i.pk, **{n: (getattr(i, n).isoformat() if n == "deadline" else getattr(i, n)) for n in ITEM_FIELDS}} for i in items]


def reviewer_user_ids(pledge: Pledge) -> list[int]:
    reviewer = pledge.reviewer_organization
    if reviewer is not None and reviewer.secretary_id:
        user_id = Member.objects.filter(pk=reviewer.secretary_id).values_list("user_id", flat=True).first()
        if user_id:
            return [user_id]
    return list(UnitRole.objects.filter(unit=connection.tenant, role=UnitRole.Role.UNIT_ADMIN).values_list("user_id", flat=True))


def proposer_user_ids(pledge: Pledge) -> list[int]:
    if pledge.subject == Pledge.Subject.MEMBER:
        return [pledge.member.user_id] if pledge.member.user_id else []
    ids = []
    if pledge.organization.secretary_id:
        ids += Member.objects.filter(pk=pledge.organization.secretary_id, user_id__isnull=False).values_list("user_id", flat=True)
    ids += pledge.co_members.filter(user_id__isnull=False).values_list("user_id", flat=True)
    return list(ids)


def subject_name(pledge: Pledge) -> str:
    return pledge.member.name if pledge.subject == Pledge.Subject.MEMBER else pledge.organization.name
