"""API conventions: versioned, described by OpenAPI, docs offline, errors translated."""
from tests.conftest import api_client_for, unit_url


def test_openapi_schema_documents_unit_and_public_endpoints(world, db):
    schema = api_client_for(None).get("/api/v1/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert "/api/v1/u/{unit}/members/" in paths
    assert "/api/v1/auth/token/" in paths and "/api/v1/oversight/units/" in paths
    assert "jwtAuth" in schema["components"]["securitySchemes"]


def test_swagger_page_uses_no_cdn(world, db):
    page = api_client_for(None).get("/api/v1/docs/").content.decode()
    assert "cdn" not in page.lower() and "/static/drf_spectacular_sidecar/" in page


def test_errors_are_chinese_by_default_and_english_on_request(world, db):
    client = api_client_for(None)
    zh = client.get(unit_url(world["A"], "members/")).json()["error"]["message"]
    en = client.get(unit_url(world["A"], "members/"), HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
    assert zh != en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert en == "Authentication credentials were not provided."


def test_validation_messages_are_translated(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.post(unit_url(world["A"], "organizations/"), {"name": "", "kind": "nonsense"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and {"name", "kind"} <= set(body["fields"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_oversized_and_wrongly_typed_fields_are_400(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.post(unit_url(world["A"], "organizations/"), {"name": "名" * 1000, "kind": "branch", "sort_order": "first"}, format="json")
    assert response.status_code == 400
    assert {"name", "sort_order"} <= set(response.json()["error"]["fields"])


def test_the_api_schema_is_valid_and_generates_without_warnings(db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null", stdout=out, stderr=out)


def test_unit_views_cannot_build_their_own_unscoped_queryset():
    import pytest
    from rest_framework import generics

    from tenants.api.units import UnitScopedMixin

    with pytest.raises(TypeError, match="scoped_queryset"):
        class Sloppy(UnitScopedMixin, generics.ListAPIView):  # noqa: F841
            def get_queryset(self):
                return None

    class Deliberate(UnitScopedMixin, generics.ListAPIView):  # the escape hatch has to be named
        dangerously_unscoped = True

        def get_queryset(self):
            return None
