"""Who is calling, inside a unit: which member they are, which organisations they lead
(and everything below them), whether they run the unit or only look in from above.

One caller model for every app: API views get it from their base view (tenants.api.units),
services take it as `who`, and every selector that scopes what someone may see starts from it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.db import connection

from tenants.compiled import compiled

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


@compiled()
def _organization_parents():
    return Organization.objects.order_by().values_list("pk", "parent_id")


def organization_children() -> dict[int | None, list[int]]:
    """The unit's organisation tree: each organisation's children (compiled: read on every
    request of a secretary)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in _organization_parents():
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


@functools.cache
def _member_sql() -> tuple[str, list[str], list[str]]:
    member_fields = [f.attname for f in Member._meta.concrete_fields]
    branch_fields = [f.attname for f in Organization._meta.concrete_fields]
    organizations = Organization._meta.db_table
    columns = [f'm."{name}"' for name in member_fields] + [f'b."{name}"' for name in branch_fields]
    # The tree (each organisation's id and parent) comes in the same row, and only when the
    # member leads something: PostgreSQL evaluates a CASE branch's subquery only when taken.
    sql = (f"SELECT {', '.join(columns)}, g.name, led.ids, "
           f"CASE WHEN cardinality(led.ids) > 0 THEN ARRAY(SELECT ARRAY[o.id, o.parent_id] FROM {organizations} o) END "
           f"FROM {Member._meta.db_table} m JOIN {organizations} b ON b.id = m.branch_id "
           f"LEFT JOIN {organizations} g ON g.id = m.group_id "
           f"CROSS JOIN LATERAL (SELECT ARRAY(SELECT o.id FROM {organizations} o WHERE o.secretary_id = m.id ORDER BY o.id) AS ids) led "
           f"WHERE m.user_id = %s ORDER BY m.id LIMIT 1")
    return sql, member_fields, branch_fields


def _member_of(user_id: int) -> tuple[Member | None, list[int], dict | None]:
    """The member a login belongs to (with their branch and their group's name), the organisations they lead and,
    when they lead any, the organisation tree, in one query. Hand-built because it runs on
    every request: the ORM's compilation of the same query cost more than the query."""
    sql, member_fields, branch_fields = _member_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None, [], None
    n = len(member_fields)
    member = Member.from_db(connection.alias, member_fields, row[:n])
    Member.branch.field.set_cached_value(member, Organization.from_db(connection.alias, branch_fields, row[n:-3]))
    if member.group_id is not None:  # the group's name (all a member's screen shows of it)
        Member.group.field.set_cached_value(member, Organization.from_db(connection.alias, ["id", "name"], [member.group_id, row[-3]]))
    tree = None
    if row[-1] is not None:
        tree = {}
        for pk, parent_id in row[-1]:
            tree.setdefault(parent_id, []).append(pk)
    return member, list(row[-2]), tree


def caller_for(*, user_id: int | None, is_unit_admin: bool = False, is_read_only: bool = False) -> Caller:
    """One query for the member, what they lead and (for those who lead) the tree."""
    member, led, tree = _member_of(user_id) if user_id else (None, [], None)
    oversees = subtree_ids(led, tree) if led else set()
    return Caller(user_id, member, is_unit_admin, is_read_only, frozenset(led), frozenset(oversees), tree)


def caller_from_access(access) -> Caller:
    return caller_for(user_id=access.user_id, is_unit_admin=access.is_unit_admin, is_read_only=access.is_read_only)
