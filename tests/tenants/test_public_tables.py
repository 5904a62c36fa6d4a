"""Once a request is routed to a unit, it reads its unit's schema and, of the public schema,
only the few tables named here. On Citus the unit's schema lives whole on one node and the
public tables stay on the coordinator (or become reference tables): each public table a unit
request touches is a hop, so the list is short and any addition is deliberate."""
import re

import pytest
from django.db import connection

from tests.conftest import api_client_for, console_client
from tests.evaluations import test_member_evaluation as evaluation_journeys
from tests.evaluations import test_public_form as public_form_journeys
from tests.evaluations import test_results as results_journeys
from tests.pledges import test_api as pledge_journeys
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



class DuringRequests(PublicTablesTouched):
    """Records only while a request is being served: a journey's own setup (run in a unit's schema
    by the test, not by a request) is not a unit request."""

    def __init__(self, tables: set[str]):
        super().__init__(tables)
        self.requests = 0
        self.serving = False
        self.in_units = 0  # statements the requests ran in a unit's schema

    def started(self, **kwargs):
        self.serving = True
        self.requests += 1

    def finished(self, **kwargs):
        self.serving = False

    def __call__(self, execute, sql, params, many, context):
        if not self.serving:
            return execute(sql, params, many, context)
        self.in_units += connection.schema_name != "public"
        return super().__call__(execute, sql, params, many, context)


# Whole journeys of the API's own tests, each asserting its writes succeeded: proposing, reviewing
# and publishing pledges, closing out, evaluations' ballots, reviews, public ballots, commendations
# and rectifications. (Only journeys that may run twice in a session: one whose idempotency keys
# live in Redis would be answered from its first run.)
JOURNEYS = [
    pledge_journeys.test_member_and_secretary_run_the_cycle_over_the_api,
    pledge_journeys.test_secretary_closes_out_and_sends_back,
    pledge_journeys.test_unit_admin_publishes_all_approved_pledges,
    pledge_journeys.test_secretary_assigns_a_post_then_the_member_may_pledge,
    evaluation_journeys.test_a_member_grades_the_others_of_their_branch_once_and_never_themselves,
    evaluation_journeys.test_the_secretary_reviews_members_of_their_branch_and_the_unit_admin_assesses,
    evaluation_journeys.test_a_member_writes_a_self_evaluation_on_their_own_items_only,
    evaluation_journeys.test_the_secretary_writes_the_branch_report_its_members_read,
    public_form_journeys.test_an_evaluator_grades_each_member_once_without_an_account,
    results_journeys.test_the_best_grade_proposes_the_commendation_list_the_admin_confirms,
    results_journeys.test_a_rectification_climbs_the_ladder_and_a_refusal_marks_the_member_unqualified,
]


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda journey: journey.__name__.removeprefix("test_")[:60])
def test_writes_that_succeed_touch_only_the_allowed_public_tables(world, db, public_only, journey):
    from django.core.signals import request_finished, request_started

    recorder = DuringRequests(public_only)
    request_started.connect(recorder.started)
    request_finished.connect(recorder.finished)
    try:
        with connection.execute_wrapper(recorder):
            journey(world, db)
    finally:
        request_started.disconnect(recorder.started)
        request_finished.disconnect(recorder.finished)
    assert recorder.requests > 0 and recorder.in_units > 0  # the recorder saw the requests' work in the unit
    unexpected = {table: sql for table, sql in recorder.touched.items() if table not in ALLOWED_PUBLIC_TABLES}
    assert unexpected == {}
