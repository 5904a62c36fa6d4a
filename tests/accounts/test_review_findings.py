"""Holes a security review found, each tried and shown closed."""
from __future__ import annotations

import re

from django.test import Client, RequestFactory, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import ActivationCode, User
from accounts.network import client_address
from accounts.sms import MemoryProvider
from tenants.organization.models import Member
from tenants.services import unit_run
from tests.conftest import api_client_for, console_client, unit_url
from tests.tenants.organization.test_identity import PERSON, enrol, issue, redeem, sign_in


def test_a_session_from_before_two_factor_cannot_replace_the_authenticator(world, db):
    attacker = Client()
    attacker.post("/accounts/login/", {"username": world["A"].admin.username, "password": "pass-1234"})
    TOTPDevice.objects.create(user=world["A"].admin, name="victim", confirmed=True)  # the owner turns it on later
    page = attacker.get("/accounts/two-factor/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert attacker.get(f"/u/{world['A'].unit.slug}/admin/").status_code == 302
    assert TOTPDevice.objects.filter(user=world["A"].admin, confirmed=True).values_list("name", flat=True).get() == "victim"


def test_turning_two_factor_on_ends_the_other_sessions(world, db):
    from tests.accounts.test_two_factor import enrol as enrol_totp

    other = Client()
    other.post("/accounts/login/", {"username": world["A"].admin.username, "password": "pass-1234"})
    me = Client()
    me.post("/accounts/login/", {"username": world["A"].admin.username, "password": "pass-1234"})
    enrol_totp(me)
    assert me.get(f"/u/{world['A'].unit.slug}/admin/").status_code == 200
    assert other.get(f"/u/{world['A'].unit.slug}/admin/").status_code == 302


def test_a_unit_admin_cannot_unlock_another_units_login_through_a_pending_member(world, db):
    phone = world["A"].member.phone
    in_b = enrol(world, "B", phone=phone)  # pending: the number is A's member's login
    for _ in range(5):
        APIClient().post("/api/v1/auth/token/", {"username": phone, "password": "wrong"}, format="json")
    assert api_client_for(world["B"].admin).post(unit_url(world["B"], f"members/{in_b['id']}/unlock/")).status_code == 204
    assert sign_in(phone, "pass-1234").status_code == 429  # still locked


def test_a_handover_code_answers_whether_a_number_is_taken_at_most_once(world, db):
    phone = world["A"].member.phone
    in_b = enrol(world, "B", phone=phone)
    code = issue(world, "B", in_b["id"], "handover").json()["code"]
    weak = redeem(phone, code, "1")
    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]  # the rules answer first, for everyone
    assert redeem(phone, code, "Attacker-2026!").status_code == 400
    assert not ActivationCode.objects.filter(phone=phone, used_at__isnull=True).exists()  # used up by the refusal
    assert sign_in(phone, "pass-1234").status_code == 200


def test_a_handover_code_never_replaces_a_password_the_person_set(world, db):
    created = enrol(world, "A")
    issue(world, "A", created["id"], "sms")
    own = re.search(r"\d{6}", MemoryProvider.outbox[-1][1]).group(0)
    assert redeem(created_phone := "13712340000", own, "Persons-own-2026").status_code == 200
    code = issue(world, "A", created["id"], "handover").json()["code"]
    assert redeem(created_phone, code, "Admins-choice-2026").status_code == 400
    assert sign_in(created_phone, "Persons-own-2026").status_code == 200


def test_a_handover_code_cannot_take_over_a_fellow_unit_admin(world, db):
    from accounts.models import UnitRole

    created = enrol(world, "A")
    code = issue(world, "A", created["id"], "handover").json()["code"]
    UnitRole.objects.create(user=User.objects.get(phone="13712340000"), unit=world["A"].unit, role=UnitRole.Role.UNIT_ADMIN)
    assert redeem("13712340000", code, "Admins-choice-2026").status_code == 400


def test_only_the_newest_code_works_and_guessing_a_number_stops_for_the_day(world, db):
    created = enrol(world, "A")
    first = issue(world, "A", created["id"], "handover").json()["code"]
    second = issue(world, "A", created["id"], "handover").json()["code"]
    assert redeem("13712340000", first, "Member-own-2026").status_code == 400
    for i in range(10):  # from ten addresses: the per-address throttle is not what stops this
        issue(world, "A", created["id"], "handover")  # fresh codes do not buy fresh guesses
        APIClient().post("/api/v1/auth/activate/", {"phone": "13712340000", "code": "ZZZZ-ZZZZ", "password": "Member-own-2026"},
                         format="json", REMOTE_ADDR=f"198.51.100.{i}")
    last = issue(world, "A", created["id"], "handover").json()["code"]
    assert APIClient().post("/api/v1/auth/activate/", {"phone": "13712340000", "code": last, "password": "Member-own-2026"},
                            format="json", REMOTE_ADDR="198.51.100.99").status_code == 400
    assert second != last


def test_the_console_member_list_cannot_be_filtered_by_identity(world, db):
    console = console_client(world["B"].admin)
    url = f"/u/{world['B'].unit.slug}/admin/organization/member/"
    for probe in ("?user__isnull=False", f"?user={world['B'].member.pk}", "?login_activated_at__isnull=True"):
        answer = console.get(url + probe)
        assert answer.status_code in (302, 400) or "e=1" in answer.get("Location", ""), probe
        if answer.status_code == 302:
            assert "e=1" in answer["Location"]  # Django's "invalid filter" redirect


def test_bulk_delete_in_the_console_unlinks_like_one_deletion(world, db):
    from accounts.models import PendingLink, UnitRole

    enrol(world, "A", phone="13712345555")
    in_b = enrol(world, "B", phone="13712345555")  # pending in B
    fresh = enrol(world, "B", phone="13712346666")  # linked in B
    console = console_client(world["B"].admin)
    url = f"/u/{world['B'].unit.slug}/admin/organization/member/"
    answer = console.post(url, {"action": "delete_selected", "_selected_action": [str(in_b["id"]), str(fresh["id"])], "post": "yes"})
    assert answer.status_code == 302
    with unit_run(world["B"].unit):
        assert not Member.objects.filter(pk__in=[in_b["id"], fresh["id"]]).exists()
    assert not PendingLink.objects.filter(unit=world["B"].unit).exists()
    assert not UnitRole.objects.filter(unit=world["B"].unit, user__phone="13712346666").exists()


def test_nul_characters_are_refused_not_a_500(world, db):
    browser = Client()
    page = browser.post("/accounts/login/", {"username": "ad\x00min", "password": "x\x00"})
    assert page.status_code == 200 and "不正确" in page.content.decode()
    api = APIClient().post("/api/v1/auth/token/", {"username": "ad\x00min", "password": "x"}, format="json")
    assert api.status_code == 400


def test_full_width_digits_are_not_a_second_identity(world, db):
    admin = api_client_for(world["A"].admin)
    answer = admin.post(unit_url(world["A"], "members/"), {**PERSON, "phone": "１３７１２３４００００", "branch": world["A"].branch_id}, format="json")
    assert answer.status_code == 400 and "phone" in answer.json()["error"]["fields"]
    assert APIClient().post("/api/v1/auth/code/", {"phone": "１３７１２３４００００"}, format="json").status_code == 400


def test_client_addresses_group_ipv6_and_strip_ports(world, db):
    factory = RequestFactory()
    v6 = [client_address(factory.get("/", REMOTE_ADDR=f"2001:db8:1:2::{i}")) for i in (1, 2)]
    assert v6[0] == v6[1] == "2001:db8:1:2::/64"
    with override_settings(JIANNUO_TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert client_address(factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9:5555")) == "203.0.113.9"
        assert client_address(factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="[2001:db8::7]:443")) == "2001:db8::/64"


def test_someone_who_must_set_up_two_factor_can_still_log_out(world, db):
    browser = Client()
    browser.post("/accounts/login/", {"username": world.county_admin_k1.username, "password": "pass-1234"})
    assert browser.get("/admin/").status_code == 302  # sent to the set-up page
    assert browser.post("/admin/logout/").status_code in (200, 302)
    assert browser.get("/accounts/two-factor/").status_code == 302  # signed out: to the sign-in page


def test_wrong_old_passwords_count_towards_the_lock(world, db):
    tokens = sign_in(world["A"].member.phone, "pass-1234").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    for _ in range(5):
        client.post("/api/v1/auth/password/", {"old_password": "guess", "new_password": "New-secret-2026"}, format="json")
    assert client.post("/api/v1/auth/password/", {"old_password": "pass-1234", "new_password": "New-secret-2026"}, format="json").status_code == 429


def test_the_sms_task_sends_through_the_provider(world, db):
    from accounts.tasks import send_sms

    MemoryProvider.outbox.clear()
    send_sms.run(phone="13700000000", text="【践诺】测试")
    assert MemoryProvider.outbox == [("13700000000", "【践诺】测试")]
    MemoryProvider.outbox.clear()


def test_demo_settings_fail_the_deploy_check(world, db):
    from accounts.checks import demo_settings_off

    with override_settings(JIANNUO_DEMO=True):
        assert [w.id for w in demo_settings_off(None)] == ["accounts.W001"]
    assert demo_settings_off(None) == []
