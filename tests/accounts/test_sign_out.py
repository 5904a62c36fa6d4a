"""Logging out ends it all: console, site and API sessions; every token of a sign-in
(before and after refreshes); and every sign-in of a person whose password changes or
who is suspended."""
from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User

from accounts.services import user_reactivate, user_suspend
from tests.conftest import console_client, unit_url


def sign_in(login: str, password: str = "pass-1234") -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"username": login, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def refresh(token: str):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def signed_in_browser(world, user) -> Client:
    browser = Client()
    page = browser.post("/accounts/login/", {"username": user.username, "password": "pass-1234"})
    assert page.status_code == 302
    return browser


def test_console_logout_ends_the_session_for_console_and_api(world, db):
    browser = signed_in_browser(world, world["A"].admin)
    console = f"/u/{world['A'].unit.slug}/admin/"
    assert browser.get(console).status_code == 200
    assert browser.get("/api/v1/auth/me/").status_code == 200  # the session also opens the API
    old_cookie = browser.cookies["sessionid"].value
    assert browser.post(console + "logout/").status_code in (200, 302)
    replay = Client()
    replay.cookies["sessionid"] = old_cookie  # the cookie as it was before logging out
    assert replay.get(console).status_code == 302  # back to the sign-in page
    assert replay.get("/api/v1/auth/me/").status_code in (401, 403)
    assert replay.get(unit_url(world["A"], "members/")).status_code == 401


def test_site_logout_ends_the_console_session(world, db):
    browser = signed_in_browser(world, world["A"].admin)
    old_cookie = browser.cookies["sessionid"].value
    assert browser.post("/accounts/logout/").status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = old_cookie  # someone kept the old cookie
    assert replay.get(f"/u/{world['A'].unit.slug}/admin/").status_code == 302
    assert replay.get("/api/v1/auth/me/").status_code in (401, 403)


def test_api_logout_with_a_session_ends_it(world, db):
    browser = signed_in_browser(world, world["A"].admin)
    token = browser.get("/accounts/login/").cookies["csrftoken"].value if "csrftoken" in browser.cookies else None
    assert browser.post("/api/v1/auth/logout/", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token or "").status_code == 205
    assert browser.get("/api/v1/auth/me/").status_code in (401, 403)


def test_logout_revokes_every_token_of_the_sign_in_including_before_a_refresh(world, db):
    first = sign_in(world["A"].member.phone)
    second = refresh(first["refresh"]).json()
    assert bearer(first["access"]).get("/api/v1/auth/me/").status_code == 200  # still valid until logout
    assert bearer(second["access"]).post("/api/v1/auth/logout/", {"refresh": second["refresh"]}, format="json").status_code == 205
    for access in (first["access"], second["access"]):
        assert bearer(access).get("/api/v1/auth/me/").status_code == 401
        assert bearer(access).get(unit_url(world["A"], "me/")).status_code == 401
    assert refresh(second["refresh"]).status_code == 401


def test_logout_with_the_access_token_alone_also_ends_the_refresh_token(world, db):
    tokens = sign_in(world["A"].member.phone)
    assert bearer(tokens["access"]).post("/api/v1/auth/logout/", {}, format="json").status_code == 205
    assert refresh(tokens["refresh"]).status_code == 401


def test_logout_leaves_other_sign_ins_alone_unless_everywhere(world, db):
    phone, tablet = sign_in(world["A"].member.phone), sign_in(world["A"].member.phone)
    bearer(phone["access"]).post("/api/v1/auth/logout/", {}, format="json")
    assert bearer(tablet["access"]).get("/api/v1/auth/me/").status_code == 200
    laptop = sign_in(world["A"].member.phone)
    assert bearer(laptop["access"]).post("/api/v1/auth/logout/", {"everywhere": True}, format="json").status_code == 205
    assert bearer(tablet["access"]).get("/api/v1/auth/me/").status_code == 401
    assert refresh(tablet["refresh"]).status_code == 401


def test_a_refresh_token_used_twice_revokes_the_whole_sign_in(world, db):
    tokens = sign_in(world["A"].member.phone)
    legit = refresh(tokens["refresh"]).json()
    assert refresh(tokens["refresh"]).status_code == 401  # a copy, replayed
    assert bearer(legit["access"]).get("/api/v1/auth/me/").status_code == 401
    assert refresh(legit["refresh"]).status_code == 401


def test_changing_the_password_ends_every_other_sign_in(world, db):
    user = User.objects.get(pk=world["A"].member.pk)  # a copy: the world's objects are shared by every test
    other = sign_in(user.phone)
    browser = signed_in_browser(world, user)
    mine = sign_in(user.phone)
    changed = bearer(mine["access"]).post("/api/v1/auth/password/", {"old_password": "pass-1234", "new_password": "New-secret-2026"}, format="json")
    assert changed.status_code == 200
    assert bearer(other["access"]).get("/api/v1/auth/me/").status_code == 401
    assert refresh(other["refresh"]).status_code == 401
    assert bearer(mine["access"]).get("/api/v1/auth/me/").status_code == 401
    assert browser.get("/api/v1/auth/me/").status_code in (401, 403)
    assert bearer(changed.json()["access"]).get("/api/v1/auth/me/").status_code == 200


def test_password_change_checks_the_old_one_and_the_rules_in_chinese(world, db):
    tokens = sign_in(world["A"].member.phone)
    client = bearer(tokens["access"])
    wrong = client.post("/api/v1/auth/password/", {"old_password": "nope", "new_password": "New-secret-2026"}, format="json")
    assert wrong.status_code == 400 and "old_password" in wrong.json()["error"]["fields"]
    weak = client.post("/api/v1/auth/password/", {"old_password": "pass-1234", "new_password": "1234"}, format="json")
    assert weak.status_code == 400
    assert any("密码" in m for m in weak.json()["error"]["fields"]["new_password"])
    demo = client.post("/api/v1/auth/password/", {"old_password": "pass-1234", "new_password": "jiannuo-demo"}, format="json")
    assert demo.status_code == 400  # the published demo password, outside the demo


def test_an_admin_changing_a_password_in_the_console_ends_the_tokens_too(world, db):
    user = User.objects.get(pk=world["A"].member.pk)  # a copy: the world's objects are shared by every test
    tokens = sign_in(user.phone)
    user.set_password("Console-set-2026")
    user.save()
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").status_code == 401


def test_suspension_ends_sessions_and_tokens_and_reactivation_does_not_revive_them(world, db):
    user = User.objects.get(pk=world["A"].member.pk)  # a copy: the world's objects are shared by every test
    tokens = sign_in(user.phone)
    browser = signed_in_browser(world, user)
    user_suspend(user=user)
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").status_code == 401
    assert APIClient().post("/api/v1/auth/token/", {"username": user.phone, "password": "pass-1234"}, format="json").status_code == 401
    user_reactivate(user=user)
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").status_code == 401
    assert refresh(tokens["refresh"]).status_code == 401
    assert browser.get("/api/v1/auth/me/").status_code in (401, 403)
    assert sign_in(user.phone)["access"]


def test_suspending_in_the_platform_console_ends_the_sign_ins(world, db):
    user = User.objects.get(pk=world["B"].member.pk)  # a copy: the world's objects are shared by every test
    tokens = sign_in(user.phone)
    operator = console_client(world.operator)
    page = operator.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    data = {"username": user.username, "full_name": user.full_name, "phone": user.phone or "", "email": "",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"), "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "unit_roles-TOTAL_FORMS": "0", "unit_roles-INITIAL_FORMS": "0",
            "jurisdiction_roles-TOTAL_FORMS": "0", "jurisdiction_roles-INITIAL_FORMS": "0"}  # is_active unticked
    saved = operator.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    user.refresh_from_db()
    assert not user.is_active
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").status_code == 401


def test_a_token_sign_in_leaves_no_session_behind(world, db):
    from django.contrib.sessions.models import Session

    before = Session.objects.count()
    response = APIClient().post("/api/v1/auth/token/", {"username": world["A"].member.phone, "password": "pass-1234"}, format="json")
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert Session.objects.count() == before


def test_a_rejected_token_gets_one_translated_sentence_everywhere(world, db):
    tokens = sign_in(world["A"].member.phone)
    bearer(tokens["access"]).post("/api/v1/auth/logout/", {}, format="json")
    for path in ("/api/v1/auth/me/", unit_url(world["A"], "me/"), unit_url(world["A"], "pledges/")):
        for language, expected in (("zh-hans", "您已退出登录，请重新登录。"), ("en", "You have been signed out. Please sign in again.")):
            answer = bearer(tokens["access"]).get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert answer.status_code == 401
            assert answer.json()["error"]["message"] == expected, (path, answer.json())
            assert answer.json()["error"]["code"] in ("token_not_valid", "not_authenticated")
            assert "WWW-Authenticate" in answer
    for garbage in ("not.a.token", "a" * 300):
        answer = bearer(garbage).get(unit_url(world["A"], "me/"))
        assert answer.status_code == 401 and answer.json()["error"]["message"] == "登录已过期或无效，请重新登录。"


def test_a_forged_refresh_token_is_refused(world, db):
    import base64
    import json
    import uuid

    victim = sign_in(world["A"].member.phone)
    mine = sign_in(world["A"].other_member.phone)
    bearer(victim["access"]).post("/api/v1/auth/logout/", {}, format="json")

    def part(data) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    def claims(token: str) -> dict:
        body = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))

    seen, own = claims(victim["access"]), claims(mine["refresh"])
    forged_claims = {"token_type": "refresh", "user_id": seen["user_id"], "cv": seen["cv"], "fam": uuid.uuid4().hex,
                     "jti": own["jti"], "exp": 9999999999, "iat": own["iat"]}
    header = victim["refresh"].split(".")[0]
    for signature in ("", "x" * 43, victim["refresh"].split(".")[2]):
        assert refresh(f"{header}.{part(forged_claims)}.{signature}").status_code == 401
    odd = {**forged_claims, "user_id": "abc"}
    assert refresh(f"{header}.{part(odd)}.x").status_code == 401
