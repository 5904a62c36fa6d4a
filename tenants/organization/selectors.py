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
