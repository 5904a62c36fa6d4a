"""Shared test world, built once per session on real PostgreSQL and Redis.

Two counties; county K1 has units A and B, county K2 has unit C. Each unit has a
committee, two branches, a party group, a secretary, members and a unit admin,
all with logins. Names carry the unit's letter so a leak shows in any listing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from accounts.tokens import tokens_issue

from accounts.models import JurisdictionRole, UnitRole, User
from tenants.services import jurisdiction_create
from tenants.organization import services as org
from tenants.organization.models import Member, Organization
from tenants.services import template_schema_ensure, unit_create, unit_run


@dataclass
class UnitWorld:
    key: str
    unit: object
    admin: User
    secretary: User
    member: User
    other_member: User
    committee_id: int = 0
    branch_id: int = 0
    branch2_id: int = 0
    group_id: int = 0
    member_ids: list[int] = field(default_factory=list)
    round_id: int = 0
    pledge_id: int = 0  # the member's published pledge in the round
    item_id: int = 0


@dataclass
class World:
    units: dict[str, UnitWorld]
    county_admin_k1: User
    county_admin_k2: User
    city_admin: User
    operator: User
    outsider: User
    counties: dict[str, object]

    def __getitem__(self, key: str) -> UnitWorld:
        return self.units[key]


PHONE_PREFIX = {"A": "1380000", "B": "1390000", "C": "1370000"}

# The whole run happens on one fixed day (the clock ticks on from there), so no test depends
# on the date it runs: mid-November, the test round's fulfil phase holds the next quarter and
# half-year starts (1 January, 46 days on), and the round stays within its year.
FROZEN_NOW = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_clock = None


def pytest_configure(config):
    global _clock
    import time_machine

    _clock = time_machine.travel(FROZEN_NOW, tick=True)
    _clock.start()


def pytest_unconfigure(config):
    if _clock is not None:
        _clock.stop()


def _user(username: str, **extra) -> User:
    user = User(username=username, full_name=extra.pop("full_name", username), **extra)
    user.set_password("pass-1234")
    user.save()
    return user


def _build_unit(key: str, county) -> UnitWorld:
    unit = unit_create(name=f"Unit {key}", slug=f"unit-{key.lower()}", kind="township", county=county)
    admin = _user(f"admin-{key.lower()}")
    UnitRole.objects.create(user=admin, unit=unit, role=UnitRole.Role.UNIT_ADMIN)
    with unit_run(unit):
        if key == "B":
            # Unit B's ids start at 1001, so an id of one unit names nothing in the other and the
            # isolation tests cannot pass by coincidence.
            with connection.cursor() as cursor:
                cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [unit.schema_name])
                for (sequence,) in cursor.fetchall():
                    cursor.execute(f'SELECT setval(\'"{unit.schema_name}"."{sequence}"\', 1000)')
        committee = org.organization_create(name=f"{key} Committee", kind=Organization.Kind.COMMITTEE)
        branch = org.organization_create(name=f"{key} Branch 1", kind=Organization.Kind.BRANCH, parent=committee)
        branch2 = org.organization_create(name=f"{key} Branch 2", kind=Organization.Kind.BRANCH, parent=committee)
        group = org.organization_create(name=f"{key} Group 1", kind=Organization.Kind.GROUP, parent=branch)
        people = []
        for i, (name, branch_of) in enumerate([("Secretary", branch), ("Member", branch), ("Other", branch2)]):
            people.append(org.member_create(
                unit=unit, name=f"{key} {name}", gender="female" if i % 2 else "male", birth_date=date(1980, 1, 1 + i),
                joined_on=date(2005, 7, 1), phone=f"{PHONE_PREFIX[key]}{i:04d}", post="Clerk", tier="agency_member", branch=branch_of,
            ))
        org.organization_update(organization=branch, secretary=people[0])
        users = []
        for person in people:  # the world skips activation (tests of activation make their own members)
            user = User.objects.get(pk=person.user_id)
            user.set_password("pass-1234")
            user.save()
            users.append(user)
        Member.objects.filter(pk__in=[p.pk for p in people]).update(login_activated_at=timezone.now())
        world = UnitWorld(
            key=key, unit=unit, admin=admin, secretary=users[0], member=users[1], other_member=users[2],
            committee_id=committee.pk, branch_id=branch.pk, branch2_id=branch2.pk, group_id=group.pk,
            member_ids=[p.pk for p in people],
        )
        _pledge_in_mid_round(world)
    return world


def _pledge_in_mid_round(world: UnitWorld) -> None:
    """A round in its fulfil phase with the member's published pledge (content names the unit)."""
    from tests.pledges.support import member_items, published_pledge, round_around_today

    round = round_around_today(theme=f"{world.key} Round")
    pledge = published_pledge(world, round, items=member_items(content_prefix=f"{world.key} pledge item"))
    world.round_id, world.pledge_id, world.item_id = round.pk, pledge.pk, pledge.items.order_by("position").first().pk
    from notifications.models import Notification
    from notifications.services import outbox_deliver_pending

    outbox_deliver_pending()
    Notification.objects.all().delete()  # the inbox tests start from an empty inbox


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb, django_db_modify_db_settings):
    """The test database, always. pytest-django creates it only when a selected test asks for
    `db`; tests on committed data (concurrency, a real worker) do not, and run alone they
    would otherwise build the world in the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"}, keepdb=django_db_keepdb and not django_db_createdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def world(django_db_setup, django_db_blocker) -> World:
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.TEST_REDIS_URL).flushdb()  # the tests' own Redis database: no leftovers from a previous run
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        # Never the development database (see django_db_setup above).
        assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict["NAME"]
        template_schema_ensure()
        province = jurisdiction_create(name="Province", code="p1", level="province")
        city = jurisdiction_create(name="City", code="c1", level="city", parent=province)
        k1 = jurisdiction_create(name="County K1", code="k1", level="county", parent=city)
        k2 = jurisdiction_create(name="County K2", code="k2", level="county", parent=city)
        units = {"A": _build_unit("A", k1), "B": _build_unit("B", k1), "C": _build_unit("C", k2)}
        county_admin_k1 = _user("county-k1")
        JurisdictionRole.objects.create(user=county_admin_k1, jurisdiction=k1)
        county_admin_k2 = _user("county-k2")
        JurisdictionRole.objects.create(user=county_admin_k2, jurisdiction=k2)
        city_admin = _user("city-c1")
        JurisdictionRole.objects.create(user=city_admin, jurisdiction=city)
        operator = _user("operator", is_superuser=True, is_staff=True)
        outsider = _user("outsider")
        connection.set_schema_to_public()
        return World(units, county_admin_k1, county_admin_k2, city_admin, operator, outsider, {"K1": k1, "K2": k2, "city": city})


@pytest.fixture(autouse=True)
def _as_the_application_role(request):
    """Tests run with the privileges the application has in production (DATABASE_APP_ROLE: no
    superuser, no DDL, audit entries append-only), so code that needs more fails here first.
    The test database and the world are built by the owning role beforehand; tests of
    migrations and other DDL say so with `as_owner`."""
    from django.conf import settings

    names = set(request.fixturenames)
    database = "transactional_db" if "transactional_db" in names else "db" if "db" in names else None
    if database is None or request.node.get_closest_marker("as_owner"):
        yield
        return
    request.getfixturevalue(database)
    if "world" in names:
        request.getfixturevalue("world")
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{settings.DATABASE_APP_ROLE}"')
    yield
    if connection.connection is not None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")
        except Exception:  # an aborted transaction: its rollback undoes the SET ROLE anyway
            pass


@pytest.fixture(scope="session", autouse=True)
def _responses_match_the_api_schema():
    """Every API response a test receives is checked against the OpenAPI schema
    (tests/support/openapi.py): a response that drifts from its documentation fails the test."""
    from django.test.client import Client

    from tests.support.openapi import validate_response

    original = Client.request

    def request(self, **environ):
        response = original(self, **environ)
        body = b"" if getattr(response, "streaming", False) else response.content  # streamed files: type only
        validate_response(environ["REQUEST_METHOD"], environ["PATH_INFO"], response.status_code, response.get("Content-Type", ""), body)
        return response

    Client.request = request
    yield
    Client.request = original


@pytest.fixture(autouse=True)
def _public_schema_around_each_test():
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


def api_client_for(user: User | None) -> APIClient:
    """A mobile-style client: JWT bearer token, no session."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user).access_token}")
    return client


@pytest.fixture
def as_user(db):
    return api_client_for


def unit_url(unit_world: UnitWorld, rest: str) -> str:
    return f"/api/v1/u/{unit_world.unit.slug}/{rest}"


def console_client(user: User):
    """A browser-like client signed in to the consoles, past two-step verification when
    the person has or needs it (as `accounts.views.login_verify_page` leaves a session)."""
    import django_otp
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.two_factor import two_factor_required

    client = Client()
    client.force_login(user)
    if two_factor_required(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Each test starts with no throttle, SMS or failed-sign-in counts left by another (they live in Redis)."""
    import redis
    from django.conf import settings

    store = redis.Redis.from_url(settings.TEST_REDIS_URL)
    for pattern in ("*throttle_*", "*activation-*", "*login-failures-from:*", "*pledge-board*"):
        keys = list(store.scan_iter(match=pattern, count=1000))
        if keys:
            store.delete(*keys)
    yield


def _rabbitmq_reachable(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


@pytest.fixture(params=["redis", "rabbitmq"])
def brokers_in_turn(request):
    """The test runs once with Redis as the broker and once with RabbitMQ (a real server, for the
    workers it starts as well). Without a RabbitMQ server the RabbitMQ run is skipped, saying so."""
    from django.conf import settings

    from jiannuo.celery import app
    from tests.support.workers import broker_use

    url = settings.TEST_REDIS_URL if request.param == "redis" else settings.TEST_RABBITMQ_URL
    if request.param == "rabbitmq" and not _rabbitmq_reachable(url):
        pytest.skip(f"RabbitMQ is not running at {url} (TEST_RABBITMQ_URL): the Redis run covers this test")
    restore = broker_use(app, url)
    if request.param == "rabbitmq":
        _named_queues_purge(app)  # RabbitMQ keeps its queues between runs: nothing left from an earlier one
    yield request.param
    if request.param == "rabbitmq":
        _named_queues_purge(app)
    restore()


def _named_queues_purge(app) -> None:
    from kombu import Queue

    from tenants.tasks import Queue as Named

    with app.connection_for_write() as conn:
        for name in Named:
            bound = Queue(name.value, routing_key=name.value)(conn.default_channel)
            bound.declare()
            bound.purge()
