"""Guessing is stopped: per account (django-axes) and per client address, where the
address comes from X-Forwarded-For only behind a proxy the deployment trusts."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User

from tests.conftest import api_client_for, unit_url


def attempt(login: str, password: str, **headers):
    return APIClient().post("/api/v1/auth/token/", {"username": login, "password": password}, format="json", **headers)


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(world, db):
    answers = [attempt(f"nobody-{i}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.{i}.1").status_code for i in range(22)]
    assert answers[:20] == [401] * 20
    assert answers[20:] == [429, 429]


@override_settings(JIANNUO_TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_has_its_own_budget(world, db):
    # The test client connects from 127.0.0.1, the proxy; the header names the client.
    for i in range(20):
        assert attempt(f"nobody-{i}", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 401
    assert attempt("nobody", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # What the client wrote in front of the proxy's entry is not believed either.
    assert attempt("nobody", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7").status_code == 429
    assert attempt("nobody", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 401


def test_five_wrong_passwords_lock_the_account_and_say_how_to_unlock(world, db):
    phone = world["A"].member.phone
    for _ in range(4):
        assert attempt(phone, "wrong").status_code == 401
    assert attempt(phone, "wrong").status_code == 429  # the fifth locks, and says so
    locked = attempt(phone, "pass-1234")  # even the right password
    assert locked.status_code == 429
    body = locked.json()["error"]
    assert body["code"] == "account_locked"
    assert "15" in body["message"] and "管理员" in body["message"]
    assert int(locked["Retry-After"]) == 900
    # Another spelling of the same account (its username) is the same account.
    assert attempt(world["A"].member.username, "pass-1234").status_code == 429
    assert attempt(world["A"].other_member.phone, "pass-1234").status_code == 200  # others are unaffected


def test_the_lock_ends_after_the_cool_off(world, db):
    phone = world["A"].member.phone
    for _ in range(5):
        attempt(phone, "wrong")
    assert attempt(phone, "pass-1234").status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(phone, "pass-1234").status_code == 200


def test_the_unit_admin_unlocks_a_member(world, db):
    phone = world["A"].member.phone
    for _ in range(5):
        attempt(phone, "wrong")
    assert attempt(phone, "pass-1234").status_code == 429
    assert api_client_for(world["A"].admin).post(unit_url(world["A"], f"members/{world['A'].member_ids[1]}/unlock/")).status_code == 204
    assert attempt(phone, "pass-1234").status_code == 200


def test_the_web_sign_in_is_locked_the_same_way(world, db):
    browser = Client()
    for _ in range(4):
        page = browser.post("/accounts/login/", {"username": world["A"].admin.username, "password": "wrong"})
        assert page.status_code == 200 and "不正确" in page.content.decode()
    assert browser.post("/accounts/login/", {"username": world["A"].admin.username, "password": "wrong"}).status_code == 429
    page = browser.post("/accounts/login/", {"username": world["A"].admin.username, "password": "pass-1234"})
    assert page.status_code == 429 and "管理员" in page.content.decode()


@override_settings(JIANNUO_ADDRESS_FAILURE_LIMIT=6)
def test_one_address_guessing_many_accounts_is_stopped(world, db):
    logins = [world[k].member.phone for k in "ABC"] + [world[k].other_member.phone for k in "ABC"]
    assert [attempt(login, "wrong").status_code for login in logins] == [401] * 6
    refused = attempt(world["A"].secretary.phone, "pass-1234")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_attempts"


def test_a_wrong_second_factor_counts_as_a_failure(world, db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.get(pk=world.county_admin_k1.pk)  # a copy: the world's objects are shared by every test
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    for _ in range(5):
        assert APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "pass-1234", "otp": "000000"}, format="json").status_code in (401, 429)
    assert attempt(user.username, "pass-1234").status_code == 429


def test_the_demo_password_opens_nothing_outside_the_demo(world, db):
    user = User.objects.get(pk=world["A"].member.pk)  # a copy: the world's objects are shared by every test
    user.set_password("jiannuo-demo")
    user.save()
    assert attempt(user.phone, "jiannuo-demo").status_code == 401
    with override_settings(JIANNUO_DEMO=True):
        assert attempt(user.phone, "jiannuo-demo").status_code == 200
