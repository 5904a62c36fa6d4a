"""The OpenAPI schema tells the truth, and the suite keeps it so: every response a test
receives is validated against it (tests/support/openapi.py, hooked into the test client in
tests/conftest.py). These tests check that check: it refuses what drifts."""
import json

import jsonschema
import pytest

from tests.conftest import api_client_for, unit_url
from tests.support.openapi import SchemaDrift, api_schema, operation_for, validate_response


def _validate(method, path, status, body):
    validate_response(method, path, status, "application/json", json.dumps(body).encode())


def test_the_check_refuses_an_undocumented_field_a_null_and_a_wrong_type(world, db):
    path = unit_url(world["A"], "me/")
    body = api_client_for(world["A"].member).get(path).json()  # itself checked on the way in
    _validate("GET", path, 200, body)
    with pytest.raises(SchemaDrift, match="extra"):
        _validate("GET", path, 200, {**body, "extra": 1})
    with pytest.raises(SchemaDrift, match="member/name"):
        _validate("GET", path, 200, {**body, "member": {**body["member"], "name": None}})
    with pytest.raises(SchemaDrift, match="secretary_of"):
        _validate("GET", path, 200, {**body, "secretary_of": {}})
    with pytest.raises(SchemaDrift, match="required"):
        _validate("GET", path, 200, {k: v for k, v in body.items() if k != "roles"})


def test_the_check_refuses_an_undocumented_status_or_operation_and_a_bad_error_envelope(world, db):
    path = unit_url(world["A"], "me/")
    with pytest.raises(SchemaDrift, match="does not document"):
        _validate("GET", path, 418, {"error": {"status": 418, "code": "teapot", "message": "…"}})
    with pytest.raises(SchemaDrift, match="server error"):
        _validate("GET", path, 500, {"error": {"status": 500, "code": "error", "message": "…"}})
    with pytest.raises(SchemaDrift, match="no such operation"):
        _validate("GET", "/api/v1/u/unit-a/nothing-here/", 200, {})
    with pytest.raises(SchemaDrift, match="'error' is a required property"):
        _validate("GET", path, 401, {"detail": "Authentication credentials were not provided."})
    with pytest.raises(SchemaDrift, match="sent 'text/html'"):
        validate_response("GET", path, 200, "text/html", b"<p>me</p>")


def test_every_operation_documents_its_errors_in_the_envelope():
    schema = api_schema()
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400"} | ({"401", "403"} if operation.get("security") and {} not in operation["security"] else set())
            expected |= {"404"} if "{" in path else set()
            expected |= {"409"} if method != "get" else set()
            for status in expected:
                content = responses.get(status, {}).get("content", {}).get("application/json", {}).get("schema", {})
                if "$ref" not in content and "properties" not in content:
                    missing.append(f"{method.upper()} {path} {status}")
    assert not missing, missing[:10]
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]["error"]["required"]) == {"status", "code", "message"}


def test_operations_are_described_in_chinese_and_english_step_by_step():
    schema = api_schema()
    steps = ["submit", "approve", "return", "redo", "publish"]
    texts = [operation_for(f"/api/v1/u/x/pledges/1/{step}/", "post")[1] for step in steps]
    assert len({t["description"] for t in texts}) == len(steps)  # each step its own description
    for text in texts:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text["summary"]) and "/" in text["summary"]
    items = ["close-request", "close", "send-back", "rectify"]
    assert len({operation_for(f"/api/v1/u/x/items/1/{step}/", "post")[1]["description"] for step in items}) == len(items)
    assert schema["paths"]


def test_nullable_names_are_documented_nullable():
    schemas = api_schema()["components"]["schemas"]
    for component, field in [("Organization", "secretary_name"), ("Member", "group_name"), ("ItemRow", "closed_by_name"),
                             ("PledgeDetail", "reviewed_by_name"), ("Event", "actor_name"), ("Record", "author_name")]:
        assert "null" in schemas[component]["properties"][field]["type"], (component, field)


def test_records_are_documented_as_a_page_of_records():
    _template, operation = operation_for("/api/v1/u/x/items/1/records/", "get")
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = api_schema()["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"]["$ref"].endswith("/Record")


def test_a_pledge_page_is_one_of_two_documented_shapes_the_whole_and_the_public(world, db):
    """The member who made the pledge gets it whole; another member of the unit gets what the
    public board shows. Each answer matches exactly one of the two documented shapes."""
    # Against the schema as served (not the suite's stricter copy): a client's validator must
    # tell the two shapes apart too.
    schemas = api_schema()["components"]["schemas"]
    assert len(schemas["PledgePage"]["oneOf"]) == 2
    path = unit_url(world["A"], f"pledges/{world['A'].pledge_id}/")
    whole = api_client_for(world["A"].member).get(path).json()
    public = api_client_for(world["A"].other_member).get(path).json()
    assert "events" in whole and "events" not in public
    for body, shape in [(whole, "PledgeDetail"), (public, "PublicPledge")]:
        matching = [
            variant["$ref"].rsplit("/", 1)[1] for variant in schemas["PledgePage"]["oneOf"]
            if jsonschema.Draft202012Validator(_served(variant), registry=_served_registry()).is_valid(body)
        ]
        assert matching == [shape]


def test_the_test_client_checks_every_api_response(world, db, monkeypatch):
    """The hook is on: a view that answers off its documentation fails the test that called it."""
    from rest_framework.response import Response

    from tenants.organization.api.views import UnitMe

    monkeypatch.setattr(UnitMe, "get", lambda self, request: Response({"unit": "unit-a"}))
    with pytest.raises(SchemaDrift, match="GET /api/v1/u/{unit}/me/ 200"):
        api_client_for(world["A"].member).get(unit_url(world["A"], "me/"))


def test_every_operation_has_a_chinese_and_english_summary():
    missing = [
        f"{method.upper()} {path}" for path, operations in api_schema()["paths"].items() for method, operation in operations.items()
        if not (any("\u4e00" <= ch <= "\u9fff" for ch in operation.get("summary", "")) and " / " in operation.get("summary", ""))
    ]
    assert not missing, missing


def _served_registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    root = {"components": api_schema()["components"]}
    return Registry().with_resource("urn:served", Resource.from_contents(root, default_specification=DRAFT202012))


def _served(node):
    if isinstance(node, dict):
        return {k: ("urn:served" + v if k == "$ref" and v.startswith("#/") else _served(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_served(v) for v in node]
    return node


def test_an_address_no_route_matches_answers_the_envelope_even_with_debug_on(world, db, settings):
    settings.DEBUG = True  # Django would answer its technical page in HTML
    answer = api_client_for(world["A"].member).get(unit_url(world["A"], "members/null,null/"))
    assert answer.status_code == 404 and answer["Content-Type"].startswith("application/json")
    assert answer.json()["error"]["code"] == "not_found" and any("\u4e00" <= ch <= "\u9fff" for ch in answer.json()["error"]["message"])


def test_a_page_past_the_end_of_any_list_is_documented(world, db):
    answer = api_client_for(world.county_admin_k1).get("/api/v1/oversight/campaigns/?page=2&page_size=1")
    assert answer.status_code == 404  # and checked against the schema on the way in
