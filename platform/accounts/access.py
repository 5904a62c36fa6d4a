"""Who may do what in a unit, decided from the public schema alone.

Resolved before the connection is switched to the unit's schema: a caller who does
not belong to the unit never causes a single query in it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import JurisdictionRole, UnitRole


@dataclass(frozen=True)
class UnitAccess:
    user_id: int
    roles: frozenset[str]

    OPERATOR = "operator"  # platform staff (superuser): full access for support
    VIEWER = "county_viewer"  # an admin of a jurisdiction above the unit: read-only

    @property
    def is_unit_admin(self) -> bool:
        return UnitRole.Role.UNIT_ADMIN in self.roles or self.OPERATOR in self.roles

    @property
    def is_read_only(self) -> bool:
        return self.roles == {self.VIEWER}


def jurisdiction_ancestor_ids(unit) -> list[int]:
    """The unit's county and every jurisdiction above it (county → city → province)."""
    ids, node = [], unit.county
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return ids


def unit_access_for(user, unit) -> UnitAccess | None:
    """None when the user may not enter the unit at all. Expects `unit.county__parent__parent` preloaded."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return UnitAccess(user.pk, frozenset({UnitAccess.OPERATOR}))
    roles = set(UnitRole.objects.filter(user=user, unit=unit).values_list("role", flat=True))
    if not roles and JurisdictionRole.objects.filter(user=user, jurisdiction_id__in=jurisdiction_ancestor_ids(unit)).exists():
        roles = {UnitAccess.VIEWER}
    return UnitAccess(user.pk, frozenset(roles)) if roles else None


def units_visible_to(user):
    """Every unit the user may enter: own roles, plus all units below their jurisdictions."""
    from tenants.models import Unit

    if user.is_superuser:
        return Unit.objects.all()
    jurisdictions = JurisdictionRole.objects.filter(user=user).values("jurisdiction_id")
    return Unit.objects.filter(
        Q(roles__user=user)
        | Q(county_id__in=jurisdictions)
        | Q(county__parent_id__in=jurisdictions)
        | Q(county__parent__parent_id__in=jurisdictions)
    ).distinct()
