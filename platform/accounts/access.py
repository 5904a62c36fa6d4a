"""Who may do what in a unit, decided from the public schema alone.

Resolved before the connection is switched to the unit's schema: a caller who does
not belong to the unit never causes a single query in it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django_tenants.utils import get_public_schema_name

from tenants.hierarchy import jurisdiction_ids_above_sql, units_below

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


def access_decide(user, roles, oversees: bool) -> UnitAccess | None:
    """The access of a user with these unit roles (and a jurisdiction role above the unit, or not)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return UnitAccess(user.pk, frozenset({UnitAccess.OPERATOR}))
    if not roles and oversees:
        roles = {UnitAccess.VIEWER}
    return UnitAccess(user.pk, frozenset(roles)) if roles else None


@dataclass(frozen=True)
class Route:
    unit: object  # tenants.models.Unit
    roles: frozenset[str]
    oversees: bool  # a jurisdiction role of the caller's is above the unit
    user: object = None  # the caller's account, when it was asked for


@functools.cache
def _route_sql(with_user: bool) -> tuple[str, list[str], list[str]]:
    from tenants.models import Unit

    from .models import User

    public = get_public_schema_name()

    def table(model) -> str:  # every table named with its schema: the query runs under any search_path
        return f'"{public}".{model._meta.db_table}'

    unit_fields = [f.attname for f in Unit._meta.concrete_fields]
    user_fields = [f.attname for f in User._meta.concrete_fields] if with_user else []
    columns = [f'u."{name}"' for name in unit_fields] + [f'usr."{name}"' for name in user_fields]
    sql = (
        f"SELECT {', '.join(columns)}, "
        f"ARRAY(SELECT r.role FROM {table(UnitRole)} r WHERE r.unit_id = u.id AND r.user_id = %(user)s), "
        f"EXISTS (SELECT 1 FROM {table(JurisdictionRole)} jr WHERE jr.user_id = %(user)s "
        f"AND jr.jurisdiction_id IN ({jurisdiction_ids_above_sql('u.county_id', schema=public)})) "
        f"FROM {table(Unit)} u "
        + (f"LEFT JOIN {table(User)} usr ON usr.id = %(user)s " if with_user else "")
        + "WHERE u.slug = %(slug)s"
    )
    return sql, unit_fields, user_fields


def unit_route(*, slug: str, user_id: int | None, with_user: bool = False) -> Route | None:
    """Everything routing needs, in one query of the public schema: the unit named in the
    path, the caller's roles in it, whether they oversee it from a jurisdiction above, and
    (with_user) the caller's own account. Read fresh on every request, so a role taken
    away, a suspension or a unit being migrated counts at once. None: no such unit."""
    from tenants.models import Unit

    from .models import User

    sql, unit_fields, user_fields = _route_sql(with_user)
    # Under whatever path the connection holds (most often the unit's, from the last request):
    # no `SET search_path` for this query, nor for the view's if it is the same unit.
    with connection.schema_independent(), connection.cursor() as cursor:
        cursor.execute(sql, {"slug": slug, "user": user_id})
        row = cursor.fetchone()
    if row is None:
        return None
    n, m = len(unit_fields), len(user_fields)
    unit = Unit.from_db(connection.alias, unit_fields, row[:n])
    user_row = row[n:n + m]
    user = User.from_db(connection.alias, user_fields, user_row) if with_user and user_row[0] is not None else None
    return Route(unit=unit, roles=frozenset(row[n + m]), oversees=row[n + m + 1], user=user)


def units_overseen_by(user):
    """Units below the user's jurisdictions, any depth (every unit, for platform operators)."""
    from tenants.models import Unit

    if user.is_superuser:
        return Unit.objects.all()
    return units_below(roots=JurisdictionRole.objects.filter(user=user).values("jurisdiction_id"))


def units_with_console(user):
    """The units whose console the user may open: those they administer, and (read-only) those
    below their jurisdictions; every unit for platform operators. A member's units are not among them."""
    from tenants.models import Unit

    if user.is_superuser:
        return Unit.objects.all()
    return Unit.objects.filter(
        Q(roles__user=user, roles__role=UnitRole.Role.UNIT_ADMIN) | Q(pk__in=units_overseen_by(user).values("pk"))).distinct()


def units_visible_to(user):
    """Every unit the user may enter: own roles, plus all units below their jurisdictions."""
    from tenants.models import Unit

    if user.is_superuser:
        return Unit.objects.all()
    return Unit.objects.filter(Q(roles__user=user) | Q(pk__in=units_overseen_by(user).values("pk"))).distinct()
