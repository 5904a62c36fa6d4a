"""Two factors for admins: required for operators and jurisdiction admins, optional (or
required, by setting) for unit admins; recovery codes; console sessions end when idle."""
from __future__ import annotations

import re
import time
from base64 import b32decode
from datetime import timedelta

import time_machine
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient


def code_for(secret: str, at: float | None = None) -> str:
    return f"{totp(b32decode(secret), t0=0, step=30, digits=6, drift=0) if at is None else _totp_at(secret, at):06d}"


def _totp_at(secret: str, at: float) -> int:
    from django_otp.oath import TOTP

    generator = TOTP(b32decode(secret))
    generator.time = at
    return generator.token()


def sign_in_page(browser: Client, user, password: str = "pass-1234"):
    return browser.post("/accounts/login/", {"username": user.username, "password": password, "next": "/admin/"})


def enrol(browser: Client) -> tuple[str, list[str]]:
    page = browser.get("/accounts/two-factor/")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    done = browser.post("/accounts/two-factor/", {"action": "confirm", "otp": code_for(secret), "next": "/admin/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    return secret, codes


def test_a_county_admin_must_set_up_two_factor_before_the_console(world, db):
    browser = Client()
    answer = sign_in_page(browser, world.county_admin_k1)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/two-factor/")
    blocked = browser.get("/admin/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/accounts/two-factor/")
    assert browser.get("/api/v1/oversight/units/").status_code == 403  # the session opens no API either
    wrong = browser.post("/accounts/two-factor/", {"action": "confirm", "otp": "000000"})
    assert "不正确" in wrong.content.decode()
    secret, codes = enrol(browser)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert browser.get("/admin/").status_code == 200
    assert TOTPDevice.objects.filter(user=world.county_admin_k1, confirmed=True).count() == 1


def test_signing_in_with_two_factor_asks_for_the_code(world, db):
    first = Client()
    sign_in_page(first, world.county_admin_k1)
    secret, codes = enrol(first)

    browser = Client()
    answer = sign_in_page(browser, world.county_admin_k1)
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/verify/"
    assert browser.get("/admin/").status_code == 302  # the password alone signed nobody in
    wrong = browser.post("/accounts/login/verify/", {"otp": "123456" if code_for(secret) != "123456" else "654321"})
    assert wrong.status_code == 200 and "不正确" in wrong.content.decode()
    with time_machine.travel(time.time() + 31, tick=False):  # the next 30-second step: a code not used before
        ok = browser.post("/accounts/login/verify/", {"otp": code_for(secret)})
        assert ok.status_code == 302 and ok["Location"] == "/admin/"
        assert browser.get("/admin/").status_code == 200


def test_a_recovery_code_works_once(world, db):
    first = Client()
    sign_in_page(first, world.county_admin_k1)
    _secret, codes = enrol(first)
    for expected in (302, 200):
        browser = Client()
        sign_in_page(browser, world.county_admin_k1)
        answer = browser.post("/accounts/login/verify/", {"otp": codes[0].upper()})
        assert answer.status_code == expected


def test_the_api_asks_admins_with_two_factor_for_the_code(world, db):
    user = world.county_admin_k1
    no_device = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "pass-1234"}, format="json")
    assert no_device.status_code == 403 and no_device.json()["error"]["code"] == "two_factor_setup_required"
    browser = Client()
    sign_in_page(browser, user)
    secret, _codes = enrol(browser)
    without = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "pass-1234"}, format="json")
    assert without.status_code == 401 and without.json()["error"]["code"] == "two_factor_required"
    assert "动态码" in without.json()["error"]["message"]
    with time_machine.travel(time.time() + 31, tick=False):
        ok = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "pass-1234", "otp": code_for(secret)}, format="json")
    assert ok.status_code == 200 and ok.json()["access"]


def test_unit_admins_may_skip_two_factor_unless_the_setting_requires_it(world, db):
    browser = Client()
    assert sign_in_page(browser, world["A"].admin)["Location"] == "/admin/"
    assert browser.get(f"/u/{world['A'].unit.slug}/admin/").status_code == 200
    with override_settings(JIANNUO_2FA_UNIT_ADMINS="required"):
        strict = Client()
        assert sign_in_page(strict, world["A"].admin)["Location"].startswith("/accounts/two-factor/")
        assert strict.get(f"/u/{world['A'].unit.slug}/admin/")["Location"].startswith("/accounts/two-factor/")
        # members are not admins: nothing changes for them
        member = Client()
        assert sign_in_page(member, world["A"].member)["Location"] == "/admin/"


def test_a_unit_admin_who_turned_it_on_is_asked_for_it(world, db):
    browser = Client()
    sign_in_page(browser, world["A"].admin)
    enrol(browser)
    again = Client()
    assert sign_in_page(again, world["A"].admin)["Location"] == "/accounts/login/verify/"
    assert APIClient().post("/api/v1/auth/token/", {"username": world["A"].admin.username, "password": "pass-1234"}, format="json").status_code == 401


def test_console_sessions_end_after_thirty_idle_minutes(world, db):
    browser = Client()
    sign_in_page(browser, world["A"].admin)
    console = f"/u/{world['A'].unit.slug}/admin/"
    start = time.time()
    with time_machine.travel(start + 29 * 60, tick=False):
        assert browser.get(console).status_code == 200  # activity keeps it open
    with time_machine.travel(start + 58 * 60, tick=False):
        assert browser.get(console).status_code == 200
    with time_machine.travel(start + 89 * 60, tick=False):
        ended = browser.get(console)
        assert ended.status_code == 302 and ended["Location"].startswith("/accounts/login/")
        assert "自动退出" in browser.get(ended["Location"]).content.decode()
        assert browser.get(console).status_code == 302  # the session is gone, not just refused once


@override_settings(JIANNUO_SESSION_IDLE=timedelta(minutes=5))
def test_the_idle_period_is_a_setting(world, db):
    browser = Client()
    sign_in_page(browser, world["A"].admin)
    with time_machine.travel(time.time() + 6 * 60, tick=False):
        assert browser.get("/api/v1/auth/me/").status_code == 401
