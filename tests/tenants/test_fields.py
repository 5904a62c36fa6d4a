"""Input the API refuses instead of guessing at (tenants.api.fields, the paginator, routing):
a number sent for a text, a JSON field's text "null", an empty form value for a relation, a
NUL character in the address, a page size or page that is not a whole number in range. Each is
a 4xx in the error envelope, in the caller's language, and changes nothing."""
import importlib
import pkgutil

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from pledges.models import PledgeRules
from tenants.api import fields
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url

PROJECT_PACKAGES = ("tenants", "accounts", "audit", "notifications", "pledges", "evaluations", "oversight", "jiannuo")


def _project_serializers() -> list[type]:
    for package in PROJECT_PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not any(part in info.name for part in (".migrations", ".management", ".settings", "wsgi", "asgi")):
                importlib.import_module(info.name)
    found, todo = [], [serializers.BaseSerializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PROJECT_PACKAGES:
            found.append(cls)
    return found


def _writable_fields(cls) -> dict:
    try:
        declared = dict(cls().fields)
    except Exception:  # a serializer that needs its context to build: its declared fields
        declared = dict(cls._declared_fields)
    out = {}
    for name, field in declared.items():
        if getattr(field, "read_only", False):
            continue
        if isinstance(field, serializers.ManyRelatedField):
            field = field.child_relation
        if isinstance(field, serializers.ListField):
            field = field.child
        out[name] = field
    return out


def test_every_serializer_reads_text_json_and_relations_with_the_projects_fields(world, db):
    checked, wrong = 0, []
    for cls in _project_serializers():
        for name, field in _writable_fields(cls).items():
            checked += 1
            for drf, ours in ((serializers.CharField, fields.Text), (serializers.JSONField, fields.JSON),
                              (serializers.PrimaryKeyRelatedField, fields.Related)):
                if isinstance(field, drf) and not isinstance(field, ours) and not isinstance(field, serializers.ChoiceField):
                    wrong.append(f"{cls.__module__}.{cls.__qualname__}.{name}: {type(field).__name__}")
    assert checked > 50
    assert not wrong, wrong


def test_a_number_sent_for_a_text_is_refused_in_chinese(world, db):
    A = world["A"]
    response = api_client_for(A.member).post(unit_url(A, "pledges/"), {"round": A.round_id, "title": 0, "items": []},
                                             format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["title"] == ["请填写文字（不能是数字、真假值、列表或对象）。"]


@pytest.mark.parametrize("value", ["null", ""])
def test_a_form_that_sends_null_or_nothing_for_a_json_field_changes_nothing(world, db, value):
    A = world["A"]
    with unit_run(A.unit):
        before = PledgeRules.objects.get().common_templates
    response = api_client_for(A.admin).patch(unit_url(A, "pledge-rules/"), {"common_templates": value}, format="multipart",
                                             HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "common_templates" in response.json()["error"]["fields"]
    with unit_run(A.unit):
        assert PledgeRules.objects.get().common_templates == before


def test_a_json_field_holding_a_nul_character_is_refused(world, db):
    A = world["A"]
    response = api_client_for(A.admin).patch(unit_url(A, "pledge-rules/"), {"common_templates": {"member": ["a\x00b"]}}, format="json")
    assert response.status_code == 400 and "common_templates" in response.json()["error"]["fields"]


def test_an_empty_form_value_does_not_clear_a_relation():
    field = fields.Related(queryset=PledgeRules.objects.none(), allow_null=True)
    with pytest.raises(serializers.ValidationError) as refused:
        field.run_validation("")
    assert refused.value.detail[0].code == "blank"
    assert field.run_validation(None) is None  # an explicit null still clears


@pytest.mark.parametrize("path", ["pledges/1\x00/", "pledges/?subject=a\x00b", "pledges/?a\x00=1"])
def test_a_nul_character_in_the_address_is_a_400_in_the_envelope(world, db, path):
    A = world["A"]
    response = api_client_for(A.secretary).get(unit_url(A, path), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["error"] == {"status": 400, "code": "bad_request", "message": "地址中含有不允许的字符（NUL）。"}


@pytest.mark.parametrize("query", ["page_size=abc", "page_size=-5", "page_size=null", "page_size=0", "page_size=201",
                                   "page_size=1.5", "page_size=", "page_size=２"])
def test_a_page_size_that_is_not_a_whole_number_in_range_is_refused_on_every_list(world, db, query):
    A = world["A"]
    for client, path in ((api_client_for(A.secretary), unit_url(A, "pledges/")), (api_client_for(A.member), unit_url(A, "notifications/")),
                         (api_client_for(A.secretary), unit_url(A, f"ledger/branches/{A.branch_id}/"))):
        response = client.get(f"{path}?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 400, (path, response.content)
        assert response.json()["error"]["fields"] == {"page_size": ["请填写 1 到 200 之间的整数。"]}


def test_a_page_that_is_not_a_whole_number_is_refused_and_one_past_the_end_is_not_found(world, db):
    A = world["A"]
    client = api_client_for(A.secretary)
    assert client.get(unit_url(A, "pledges/?page=abc")).json()["error"]["fields"] == {"page": ["请填写不小于 1 的整数。"]}
    assert client.get(unit_url(A, "pledges/?page=0")).status_code == 400
    assert client.get(unit_url(A, "pledges/?page=99")).status_code == 404
    assert client.get(unit_url(A, "pledges/?page=1&page_size=200")).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/u/{slug}/nothing/"])
def test_an_address_no_endpoint_answers_is_a_404_in_the_envelope(world, db, path):
    A = world["A"]
    response = api_client_for(A.secretary).get(path.format(slug=A.unit.slug), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_data_the_database_refuses_is_a_4xx_not_a_500():
    from django.db import DataError, IntegrityError

    from tenants.api.errors import exception_handler

    conflict = exception_handler(IntegrityError("duplicate key"), {})
    invalid = exception_handler(DataError("value too long"), {})
    assert conflict.status_code == 409 and conflict.data["error"]["code"] == "conflict"
    assert invalid.status_code == 400 and invalid.data["error"]["code"] == "invalid"


def test_a_bad_bearer_token_is_one_translated_sentence(world, db):
    A = world["A"]
    for path in (unit_url(A, "pledges/"), "/api/v1/auth/me/"):
        response = APIClient().get(path, HTTP_AUTHORIZATION="Bearer abc", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "登录已过期或无效，请重新登录。"
