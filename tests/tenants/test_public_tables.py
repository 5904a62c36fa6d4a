"""Once a request is routed to a unit, it reads its unit's schema and, of the public schema,
only the few tables named here. On Citus the unit's schema lives whole on one node and the
public tables stay on the coordinator (or become reference tables): each public table a unit
request touches is a hop, so the list is short and any addition is deliberate."""
import re

import pytest
from django.db import connection

from tests.conftest import api_client_for, console_client
from tests.test_isolation_matrix import UNIT_ROUTES, _call, _full_path

# What a unit request may read or write in the public schema after routing, and why.
ALLOWED_PUBLIC_TABLES = {
    "accounts_user": "who is calling (authentication), and members' logins",
    "accounts_unitrole": "the caller's role in the unit",
    "accounts_jurisdictionrole": "a county admin's read-only view of the units in their jurisdiction",
    "accounts_activationcode": "activating a member's login (logins are platform-wide)",
    "accounts_pendinglink": "activating a member's login (logins are platform-wide)",
    "axes_accessattempt": "unlocking a member locked out by failed logins",
    "oversight_unitroundfigures": "the unit's figures for its county, written in the change's own transaction",
    "tenants_outboxpending": "the flag that sends the outbox sweep to this unit, set in the message's transaction",
}


def _public_only_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                          EXCEPT SELECT tablename FROM pg_tables WHERE schemaname = 'unit_template'""")
        return {name for (name,) in cursor.fetchall()}


class PublicTablesTouched:
    """Records the public-only tables named by statements that run inside a unit's schema."""

    def __init__(self, tables: set[str]):
        self.pattern = re.compile(r'\b(' + "|".join(sorted(map(re.escape, tables), key=len, reverse=True)) + r')\b')
        self.touched: dict[str, str] = {}

    def __call__(self, execute, sql, params, many, context):
        if connection.schema_name != "public":
            for table in self.pattern.findall(sql):
                self.touched.setdefault(table, sql[:200])
        return execute(sql, params, many, context)


def _calls(world):
    a = world["A"]
    for name, route in sorted(UNIT_ROUTES.items()):
        for method in route.methods:
            for user in (a.admin, a.member, world.county_admin_k1) if method == "GET" else (a.admin,):
                yield name, method, user, route


@pytest.fixture
def public_only(world, db):
    return _public_only_tables()


def test_the_allow_list_names_real_public_tables(public_only):
    assert set(ALLOWED_PUBLIC_TABLES) <= public_only


def test_unit_requests_touch_only_the_allowed_public_tables(world, db, public_only):
    recorder = PublicTablesTouched(public_only)
    with connection.execute_wrapper(recorder):
        for name, method, user, route in _calls(world):
            client = api_client_for(user) if route.api else console_client(user)
            if name == "member-import":  # a file upload: JSON would be refused before any query
                client.post(_full_path(world, route, "A"), {}, format="multipart")
            else:
                _call(client, method, _full_path(world, route, "A"))
        # One write that certainly succeeds and leaves a message in the unit's outbox.
        sent = api_client_for(world["A"].admin).post(
            f"/api/v1/u/{world['A'].unit.slug}/notices/", {"title": "学习通知", "audience": {"kind": "unit"}}, format="json")
        assert sent.status_code == 201
    unexpected = {table: sql for table, sql in recorder.touched.items() if table not in ALLOWED_PUBLIC_TABLES}
    assert unexpected == {}
    # The recorder does see public tables: the caller's login and the outbox flag.
    assert {"accounts_user", "tenants_outboxpending"} <= set(recorder.touched)
