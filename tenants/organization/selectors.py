"""Reads of the organisation tree and member roll (current unit's schema)."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tenants.compiled import compiled

from .caller import Caller
from .models import Member, Organization


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.select_related("parent", "secretary").annotate(member_count=Count("members", distinct=True))


@compiled(pk=int)
def _organization_ids(*, pk):
    return Organization.objects.filter(pk=pk).values_list("pk", flat=True)


def organization_exists(*, pk: int, caller: Caller | None = None) -> bool:
    """Whether the unit has this organisation. One the caller leads or oversees is known to
    exist (the caller's tree was read in this request): no query."""
    if caller is not None and pk in caller.oversees_ids:
        return True
    return bool(_organization_ids(pk=pk))


def member_list() -> QuerySet[Member]:
    return Member.objects.select_related("branch", "group")


def member_list_for(*, caller: Caller) -> QuerySet[Member]:
    """Members the caller may see: all for admins and county viewers, the members of the
    organisations they lead (and below) for secretaries, only themselves for members."""
    members = member_list()
    if caller.sees_everything:
        return members
    return members.filter(Q(user_id=caller.user_id) | Q(branch_id__in=caller.oversees_ids)) if caller.user_id else members.none()


def organizations_led_by(*, caller: Caller) -> list[Organization]:
    return list(Organization.objects.filter(pk__in=caller.led_ids)) if caller.led_ids else []


def organization_tree_order() -> list[tuple[int, int]]:
    """Every organisation of the unit as (id, depth) in the order of the tree: each one right
    after its parent, siblings by their order then id (one query)."""
    rows = list(Organization.objects.order_by("sort_order", "id").values_list("id", "parent_id"))
    children: dict[int | None, list[int]] = {}
    for pk, parent in rows:
        children.setdefault(parent, []).append(pk)
    known = {pk for pk, _parent in rows}
    out: list[tuple[int, int]] = []
    # Roots, and any whose parent is missing (never, by the model's rules: shown at the top anyway).
    stack = [(pk, 0) for pk, parent in reversed(rows) if parent is None or parent not in known]
    while stack:
        pk, depth = stack.pop()
        out.append((pk, depth))
        stack += [(child, depth + 1) for child in reversed(children.get(pk, []))]
    return out
