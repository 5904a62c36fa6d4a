"""Reads of the organisation tree and member roll (current unit's schema)."""
from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Member, Organization


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.select_related("parent", "secretary").annotate(member_count=Count("members", distinct=True))


def organization_subtree_ids(*, root: Organization) -> list[int]:
    """The organisation and everything below it (a unit's tree is small: one query, walked in memory)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Organization.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    ids, stack = [], [root.pk]
    while stack:
        pk = stack.pop()
        ids.append(pk)
        stack.extend(children.get(pk, []))
    return ids


def member_list() -> QuerySet[Member]:
    return Member.objects.select_related("branch", "group")


def member_for_user(*, user_id: int) -> Member | None:
    return Member.objects.select_related("branch").filter(user_id=user_id).first()


def organizations_led_by(*, member: Member | None) -> list[Organization]:
    if member is None:
        return []
    return list(Organization.objects.filter(secretary=member))
