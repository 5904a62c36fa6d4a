"""Mobile sign-in: JWT pair, rotation, logout that revokes; one identity across units."""
from accounts.models import UnitRole
from tests.conftest import unit_url
from rest_framework.test import APIClient


def _login(login, password="pass-1234"):
    return APIClient().post("/api/v1/auth/token/", {"username": login, "password": password}, format="json")


def test_member_logs_in_with_phone_and_lists_units(world, db):
    response = _login("13800000001")  # A Member's phone
    assert response.status_code == 200
    access = response.json()["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    me = client.get("/api/v1/auth/me/").json()
    assert [u["slug"] for u in me["units"]] == ["unit-a"]
    assert me["units"][0]["roles"] == ["member"]


def test_one_identity_with_roles_in_two_units(world, db):
    UnitRole.objects.create(user=world["A"].member, unit=world["B"].unit, role=UnitRole.Role.UNIT_ADMIN)
    tokens = _login(world["A"].member.username).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    units = {u["slug"]: u["roles"] for u in client.get("/api/v1/auth/me/").json()["units"]}
    assert units == {"unit-a": ["member"], "unit-b": ["unit_admin"]}
    assert client.get(unit_url(world["B"], "members/")).status_code == 200


def test_wrong_password_is_401_and_says_nothing_more(world, db):
    response = _login("13800000001", "wrong")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_refresh_rotates_and_old_refresh_stops_working(world, db):
    tokens = _login("13800000001").json()
    first = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200 and first.json()["refresh"] != tokens["refresh"]
    again = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401


def test_logout_revokes_refresh_and_access(world, db):
    tokens = _login("13800000001").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get(unit_url(world["A"], "me/")).status_code == 200
    assert client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code == 205
    assert client.get(unit_url(world["A"], "me/")).status_code == 401
    assert client.get("/api/v1/auth/me/").status_code == 401
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401


def test_logout_with_someone_elses_refresh_is_refused(world, db):
    mine = _login("13800000001").json()
    theirs = _login("13800000002").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mine['access']}")
    response = client.post("/api/v1/auth/logout/", {"refresh": theirs["refresh"]}, format="json")
    assert response.status_code == 400
    assert "refresh" in response.json()["error"]["fields"]


def test_garbage_token_is_401(world, db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert client.get(unit_url(world["A"], "me/")).status_code == 401
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_web_login_with_session_and_csrf(world, db):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    refused = browser.post("/accounts/login/", {"username": world["A"].admin.username, "password": "pass-1234"})
    assert refused.status_code == 403  # no CSRF token
    response = browser.post("/accounts/login/", {"username": world["A"].admin.username, "password": "pass-1234", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert browser.get(f"/u/{world['A'].unit.slug}/admin/").status_code == 200
