"""The routing middleware: the caller's access is checked in the public schema before
the connection enters a unit's schema, and the connection always returns to public."""
from django.db import connection
from django.test import Client

from tenants.models import Unit
from tests.conftest import api_client_for, unit_url, console_client


def test_member_reaches_own_unit_api(world, db):
    response = api_client_for(world["A"].member).get(unit_url(world["A"], "me/"))
    assert response.status_code == 200
    assert response.json()["unit"]["slug"] == "unit-a"
    assert response.json()["member"]["name"] == "A Member"


def test_anonymous_gets_401_with_error_shape(world, db):
    response = api_client_for(None).get(unit_url(world["A"], "members/"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_unit_and_foreign_unit_look_the_same(world, db):
    client = api_client_for(world["B"].admin)
    unknown = client.get("/api/v1/u/no-such-unit/members/")
    foreign = client.get(unit_url(world["A"], "members/"))
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.json() == foreign.json()


class SchemaOfEachStatement:
    """Records, for every statement the connection runs, the schema it was pointed at."""

    def __init__(self):
        self.statements: list[tuple[str, str]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((connection.schema_name, sql))
        return execute(sql, params, many, context)


def _statements_of(client, path) -> tuple[object, list[tuple[str, str]]]:
    recorder = SchemaOfEachStatement()
    with connection.execute_wrapper(recorder):
        response = client.get(path)
    return response, recorder.statements


def test_refused_caller_causes_no_query_in_the_unit_schema(world, db):
    response, statements = _statements_of(api_client_for(world["B"].member), unit_url(world["A"], "members/"))
    assert response.status_code == 404
    assert statements and {schema for schema, _sql in statements} == {"public"}  # not one statement in unit A
    assert connection.schema_name == "public"


def test_access_is_decided_in_public_before_the_unit_schema_is_entered(world, db):
    response, statements = _statements_of(api_client_for(world["A"].member), unit_url(world["A"], "members/"))
    assert response.status_code == 200
    schemas = [schema for schema, _sql in statements]
    role_check = next(i for i, (_s, sql) in enumerate(statements) if "accounts_unitrole" in sql)
    first_in_unit = schemas.index(world["A"].unit.schema_name)
    assert schemas[role_check] == "public" and role_check < first_in_unit
    assert set(schemas[:first_in_unit]) == {"public"} and set(schemas[first_in_unit:]) == {world["A"].unit.schema_name}


def test_connection_returns_to_public_after_a_unit_request(world, db):
    api_client_for(world["A"].admin).get(unit_url(world["A"], "members/"))
    assert connection.schema_name == "public"


def test_unit_being_migrated_gets_503(world, db):
    Unit.objects.filter(pk=world["A"].unit.pk).update(status=Unit.Status.MIGRATING)
    response = api_client_for(world["A"].admin).get(unit_url(world["A"], "members/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"


def test_suspended_unit_is_not_found(world, db):
    Unit.objects.filter(pk=world["A"].unit.pk).update(status=Unit.Status.SUSPENDED)
    response = api_client_for(world["A"].admin).get(unit_url(world["A"], "members/"))
    assert response.status_code == 404


def test_expired_token_is_refused(world, db, settings):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(world["A"].member)
    token.set_exp(lifetime=-timedelta(seconds=1))
    client = api_client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get(unit_url(world["A"], "me/"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_web_console_redirects_anonymous_to_login(world, db, client):
    response = client.get(f"/u/{world['A'].unit.slug}/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unit_admin_opens_console_with_session(world, db, client):
    client = console_client(world["A"].admin)
    response = client.get(f"/u/{world['A'].unit.slug}/admin/")
    assert response.status_code == 200
    assert "Unit A" in response.content.decode()
    members = client.get(f"/u/{world['A'].unit.slug}/admin/organization/member/")
    assert members.status_code == 200
    page = members.content.decode()
    assert "A Member" in page and "B Member" not in page


def test_member_cannot_open_unit_console(world, db, client):
    client = console_client(world["A"].member)
    response = client.get(f"/u/{world['A'].unit.slug}/admin/")
    assert response.status_code == 302  # to the login page: no console for plain members


def test_malformed_authorization_headers_get_a_translated_401_on_unit_and_site_endpoints(world, db):
    for header in ("Bearer a b", "Bearer", "Bearer not.a.token"):
        client = api_client_for(None)
        client.credentials(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="zh-hans")
        for path in (unit_url(world["A"], "me/"), "/api/v1/auth/me/"):
            response = client.get(path)
            assert response.status_code == 401, (header, path)
            assert response.json()["error"]["message"] == "登录已过期或无效，请重新登录。", (header, path, response.content)


def test_a_units_own_address_sends_each_caller_where_they_work(world, db):
    unit = world["A"]
    base = f"/u/{unit.unit.slug}/"
    landings = {
        "its admin": (console_client(unit.admin), f"{base}admin/"),
        "its county's admin": (console_client(world.county_admin_k1), f"{base}dashboard/"),
        "its secretary": (console_client(unit.secretary), f"{base}inbox/"),
        "its member": (console_client(unit.member), f"{base}inbox/"),
        "another unit's admin": (console_client(world["B"].admin), f"{base}board/"),
        "the public": (Client(), f"{base}board/"),
    }
    for who, (client, landing) in landings.items():
        response = client.get(base)
        assert response.status_code == 302, who
        assert response["Location"] == landing, who
        assert client.get(landing).status_code == 200, who  # and the landing opens for them


def test_a_units_own_address_only_reads(world, db):
    assert Client().post(f"/u/{world['A'].unit.slug}/").status_code == 405
