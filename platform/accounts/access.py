"""Who may do what in a unit, decided from the public schema alone.

Resolved before the connection is switched to the unit's schema: a caller who does
not belong to the unit never causes a single query in it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from tenants.hierarchy import jurisdiction_ids_above, units_below

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


def unit_access_for(user, unit) -> UnitAccess | None:
    """None when the user may not enter the unit at all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return UnitAccess(user.pk, frozenset({UnitAccess.OPERATOR}))
    roles = set(UnitRole.objects.filter(user=user, unit=unit).values_list("role", flat=True))
    if not roles and JurisdictionRole.objects.filter(user=user, jurisdiction_id__in=jurisdiction_ids_above(jurisdiction_id=unit.county_id)).exists():
        roles = {UnitAccess.VIEWER}
    return UnitAccess(user.pk, frozenset(roles)) if roles else None


def units_overseen_by(user):
    """Units below the user's jurisdictions, any depth (every unit, for platform operators)."""
    from tenants.models import Unit

    if user.is_superuser:
        return Unit.objects.all()
    return units_below(roots=JurisdictionRole.objects.filter(user=user).values("jurisdiction_id"))


def units_visible_to(user):
    """Every unit the user may enter: own roles, plus all units below their jurisdictions."""
    from tenants.models import Unit

    if user.is_superuser:
        return Unit.objects.all()
    return Unit.objects.filter(Q(roles__user=user) | Q(pk__in=units_overseen_by(user).values("pk"))).distinct()
