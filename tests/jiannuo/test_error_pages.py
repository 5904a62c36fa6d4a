"""What a person meets when something is wrong: a page in Chinese with the way back (never Django's
debug page with the site's addresses), API errors in the caller's language without Python's words,
and filters that refuse what they do not understand instead of answering the whole list."""
import pytest
from django.test import Client

from tests.conftest import api_client_for, console_client, unit_url

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _is_our_page(response) -> bool:
    text = response.content.decode()
    return 'href="/"' in text and "返回首页" in text and "URLconf" not in text and "Django" not in text


@pytest.mark.parametrize("who", ["the public", "a county admin"])
def test_a_missing_page_is_ours_with_the_way_home(world, db, who):
    client = Client() if who == "the public" else console_client(world.county_admin_k1)
    slug = world["A"].unit.slug
    for path in ("/no-such-page/", f"/u/{slug}/evaluation/99999/results/", "/u/no-such-unit/board/"):
        response = client.get(path, **ZH)
        assert response.status_code == 404, path
        assert _is_our_page(response), path


def test_a_body_that_is_not_json_is_refused_in_the_callers_language(world, db):
    A = world["A"]
    response = api_client_for(A.member).post(unit_url(A, "pledges/"), data="{not json", content_type="application/json", **ZH)
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "JSON parse error" not in message and "请求" in message


@pytest.mark.parametrize("payload, field", [
    ({"round": [1]}, "round"),  # a list for an id
    ({"items": "not a list"}, "items"),  # a text for a list
    ({"items": ["not an object"]}, "items.0"),  # a text for an object
])
def test_a_value_of_the_wrong_shape_is_named_in_words_not_python_types(world, db, payload, field):
    A = world["A"]
    response = api_client_for(A.member).post(unit_url(A, "pledges/"), {"round": A.round_id, "items": [], **payload}, format="json", **ZH)
    assert response.status_code == 400
    messages = " ".join(m for name, ms in response.json()["error"]["fields"].items() if name.startswith(field) for m in ms)
    assert messages, response.json()
    for python_word in ("str", "list", "dict", "int", "pk"):
        assert python_word not in messages, messages


@pytest.mark.parametrize("query, parameter", [
    ("overdue=maybe", "overdue"),
    ("mine=perhaps", "mine"),
    ("ordering=password", "ordering"),
    ("ordering=-created_at,secret", "ordering"),
])
def test_a_filter_it_does_not_understand_is_refused_not_ignored(world, db, query, parameter):
    A = world["A"]
    client = api_client_for(A.secretary)
    response = client.get(unit_url(A, f"pledges/?{query}"), **ZH)
    assert response.status_code == 400
    assert parameter in response.json()["error"]["fields"]


def test_filters_it_understands_still_answer(world, db):
    A = world["A"]
    client = api_client_for(A.secretary)
    for query in ("overdue=true", "overdue=0", "mine=false", "ordering=-updated_at", "ordering=state,-id", ""):
        assert client.get(unit_url(A, f"pledges/?{query}")).status_code == 200, query


def test_the_inbox_refuses_an_unread_filter_it_does_not_understand(world, db):
    A = world["A"]
    client = api_client_for(A.member)
    assert client.get(unit_url(A, "notifications/?read_at__isnull=maybe")).status_code == 400
    assert client.get(unit_url(A, "notifications/?read_at__isnull=true")).status_code == 200


def test_a_member_is_offered_their_messages_not_a_console_they_cannot_open(world, db):
    A = world["A"]
    member_home = console_client(A.member).get("/").content.decode()
    admin_home = console_client(A.admin).get("/").content.decode()
    console = f"/u/{A.unit.slug}/admin/"
    assert f"/u/{A.unit.slug}/inbox/" in member_home and console not in member_home
    assert console in admin_home


def test_a_member_who_opens_the_console_is_told_it_is_not_theirs(world, db):
    A = world["A"]
    client = console_client(A.member)
    response = client.get(f"/u/{A.unit.slug}/admin/", follow=True, **ZH)
    assert response.status_code == 403
    assert "无权访问" in response.content.decode() and _is_our_page(response)
    assert all("/accounts/login/" not in url for url, _status in response.redirect_chain)  # not the login form again


def test_a_server_error_page_is_ours_and_needs_nothing_but_its_template(rf):
    """Rendered when something failed, perhaps the database: no context, no query."""
    from jiannuo.views import server_error

    response = server_error(rf.get("/somewhere/"))
    assert response.status_code == 500
    assert "服务器出错了" in response.content.decode() and _is_our_page(response)
