"""Who is calling, inside a unit: which member they are, which organisations they lead
(and everything below them), whether they run the unit or only look in from above.

One caller model for every app: API views get it from their base view (tenants.api.units),
services take it as `who`, and every selector that scopes what someone may see starts from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q, Value

from .models import Member, Organization


@dataclass(frozen=True)
class Caller:
    user_id: int | None
    member: Member | None = None
    is_unit_admin: bool = False
    is_read_only: bool = False
    led_ids: frozenset[int] = field(default_factory=frozenset)  # organisations led directly
    oversees_ids: frozenset[int] = field(default_factory=frozenset)  # led ones and all below them
    tree: dict | None = field(default=None, compare=False)  # the organisation tree, when already read

    def subtree_of(self, root_id: int) -> set[int]:
        return subtree_ids([root_id], self.tree if self.tree is not None else organization_children())

    @property
    def member_id(self) -> int | None:
        return self.member.pk if self.member else None

    @property
    def sees_everything(self) -> bool:
        return self.is_unit_admin or self.is_read_only


def organization_children() -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Organization.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    return children


def subtree_ids(roots: list[int], children: dict[int | None, list[int]]) -> set[int]:
    ids, stack = set(), list(roots)
    while stack:
        pk = stack.pop()
        if pk not in ids:
            ids.add(pk)
            stack.extend(children.get(pk, []))
    return ids


def caller_for(*, user_id: int | None, is_unit_admin: bool = False, is_read_only: bool = False) -> Caller:
    """One query for the member and what they lead; the tree is read only for secretaries."""
    member = None
    if user_id:
        led_ids = ArrayAgg("secretary_of__id", filter=Q(secretary_of__isnull=False), default=Value([]))
        member = Member.objects.select_related("branch").annotate(led_ids=led_ids).filter(user_id=user_id).first()
    led: list[int] = member.led_ids if member else []
    tree = organization_children() if led else None
    oversees = subtree_ids(led, tree) if led else set()
    return Caller(user_id, member, is_unit_admin, is_read_only, frozenset(led), frozenset(oversees), tree)


def caller_from_access(access) -> Caller:
    return caller_for(user_id=access.user_id, is_unit_admin=access.is_unit_admin, is_read_only=access.is_read_only)
