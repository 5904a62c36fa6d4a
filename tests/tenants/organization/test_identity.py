"""Nobody but the person controls their login: a unit admin cannot take over, nor learn
about, an identity another unit uses. The takeover is tried in both orders."""
from __future__ import annotations

import re

import pytest
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from accounts.models import ActivationCode, PendingLink, UnitRole, User
from accounts.sms import MemoryProvider
from audit.models import AuditEntry
from tenants.organization.models import Member
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url

PHONE = "13712340000"
PERSON = {"name": "王小红", "gender": "female", "birth_date": "1990-03-04", "joined_on": "2015-07-01",
          "post": "会计", "tier": "agency_member", "is_exempt": False, "status": "active"}


@pytest.fixture(autouse=True)
def _empty_phone():
    MemoryProvider.outbox.clear()
    yield
    MemoryProvider.outbox.clear()


def enrol(world, key: str, phone: str = PHONE) -> dict:
    response = api_client_for(world[key].admin).post(unit_url(world[key], "members/"), {**PERSON, "phone": phone, "branch": world[key].branch_id}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def issue(world, key: str, member_id: int, method: str):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the SMS goes out once the code is committed
        return api_client_for(world[key].admin).post(unit_url(world[key], f"members/{member_id}/activation/"), {"method": method}, format="json")


def ask_code(phone: str):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return APIClient().post("/api/v1/auth/code/", {"phone": phone}, format="json")


def redeem(phone: str, code: str, password: str):
    return APIClient().post("/api/v1/auth/activate/", {"phone": phone, "code": code, "password": password}, format="json")


def sign_in(login: str, password: str):
    return APIClient().post("/api/v1/auth/token/", {"username": login, "password": password}, format="json")


def sms_code(phone: str) -> str:
    texts = [text for to, text in MemoryProvider.outbox if to == phone]
    assert texts, f"no SMS reached {phone}"
    return re.search(r"\d{6}", texts[-1]).group(0)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_admin_of_b_cannot_take_over_a_login_that_a_enrolled_first(world, db):
    enrol(world, "A")  # A's member, login not yet activated
    in_b = enrol(world, "B")
    assert in_b["login"] == "pending"
    with unit_run(world["B"].unit):
        assert Member.objects.get(pk=in_b["id"]).user_id is None  # B waits for the person
    assert PendingLink.objects.filter(unit=world["B"].unit, phone=PHONE).exists()

    handed = issue(world, "B", in_b["id"], "handover")
    assert handed.status_code == 201 and handed.json()["code"]
    refused = redeem(PHONE, handed.json()["code"], "Attacker-2026!")
    assert refused.status_code == 400 and "code" in refused.json()["error"]["fields"]
    assert not User.objects.get(phone=PHONE).has_usable_password()
    assert sign_in(PHONE, "Attacker-2026!").status_code == 401

    by_sms = issue(world, "B", in_b["id"], "sms")
    assert by_sms.status_code == 201 and by_sms.json()["code"] is None  # the code went to the phone, not the admin
    assert by_sms.json()["phone"] == "137****0000"
    assert len(MemoryProvider.outbox) == 1


def test_admin_of_b_who_enrolled_first_cannot_reach_a_through_the_login(world, db):
    in_b = enrol(world, "B")
    code = issue(world, "B", in_b["id"], "handover").json()["code"]
    assert redeem(PHONE, code, "Attacker-2026!").status_code == 200  # B's own, new identity: allowed
    attacker = bearer(sign_in(PHONE, "Attacker-2026!").json()["access"])

    in_a = enrol(world, "A")  # the same person is also a member of A
    assert in_a["login"] == "pending"
    with unit_run(world["A"].unit):
        assert Member.objects.get(pk=in_a["id"]).user_id is None
    assert not UnitRole.objects.filter(user__phone=PHONE, unit=world["A"].unit).exists()
    assert [u["slug"] for u in attacker.get("/api/v1/auth/me/").json()["units"]] == ["unit-b"]
    assert attacker.get(unit_url(world["A"], "organizations/")).status_code == 404
    assert attacker.get(unit_url(world["A"], "me/")).status_code == 404

    # A's admin cannot hand the identity a password either: it belongs to B.
    a_code = issue(world, "A", in_a["id"], "handover").json()["code"]
    assert redeem(PHONE, a_code, "Attacker-2026!").status_code == 400

    # The person, with the SMS that A sent to their phone, links A and takes the login back.
    issue(world, "A", in_a["id"], "sms")
    assert redeem(PHONE, sms_code(PHONE), "Mine-only-2026!").status_code == 200
    assert sign_in(PHONE, "Attacker-2026!").status_code == 401
    assert attacker.get("/api/v1/auth/me/").status_code == 401  # what the attacker held is revoked
    person = bearer(sign_in(PHONE, "Mine-only-2026!").json()["access"])
    assert {u["slug"] for u in person.get("/api/v1/auth/me/").json()["units"]} == {"unit-a", "unit-b"}
    assert api_client_for(world["A"].admin).get(unit_url(world["A"], f"members/{in_a['id']}/")).json()["login"] == "active"
    assert not PendingLink.objects.filter(phone=PHONE).exists()


def test_answers_never_tell_whether_a_number_has_a_login_elsewhere(world, db):
    with unit_run(world["C"].unit):
        taken = Member.objects.get(pk=world["C"].member_ids[1]).phone  # an active login in unit C
    fresh = enrol(world, "A", phone="13712349999")
    existing = enrol(world, "A", phone=taken)
    assert fresh["login"] == existing["login"] == "pending"
    assert set(fresh) == set(existing)
    answers = [issue(world, "A", m["id"], method).json() for m in (fresh, existing) for method in ("sms", "handover")]
    assert [sorted(a) for a in answers] == [sorted(answers[0])] * 4
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", answers[1]["code"]) and re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", answers[3]["code"])
    with unit_run(world["A"].unit):
        trail = list(AuditEntry.objects.filter(model="organization.Member", object_id__in=[str(fresh["id"]), str(existing["id"])]))
    assert trail and all("user_id" not in (e.after or {}) and "user_id" not in (e.before or {}) for e in trail)
    assert "user" not in fresh and "user_id" not in fresh


def test_a_member_activates_their_own_new_login_with_the_admins_code(world, db):
    created = enrol(world, "A")
    code = issue(world, "A", created["id"], "handover").json()["code"]
    weak = redeem(PHONE, code, "12345678")
    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]
    assert redeem(PHONE, code.lower().replace("-", ""), "Hongxing-2026!").status_code == 200  # typed loosely, still the code
    assert redeem(PHONE, code, "Another-2026!").status_code == 400  # used up
    assert sign_in(PHONE, "Hongxing-2026!").status_code == 200
    assert api_client_for(world["A"].admin).get(unit_url(world["A"], f"members/{created['id']}/")).json()["login"] == "active"


def test_wrong_codes_kill_the_numbers_codes_after_five_guesses(world, db):
    created = enrol(world, "A")
    code = issue(world, "A", created["id"], "handover").json()["code"]
    wrong = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    for _ in range(5):
        assert redeem(PHONE, wrong, "Hongxing-2026!").status_code == 400
    assert redeem(PHONE, code, "Hongxing-2026!").status_code == 400
    assert not User.objects.get(phone=PHONE).has_usable_password()


def test_self_service_code_is_sent_only_to_enrolled_numbers_and_says_the_same(world, db):
    enrol(world, "A")
    known = ask_code(PHONE)
    unknown = ask_code("13700001111")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [to for to, _t in MemoryProvider.outbox] == [PHONE]
    assert redeem(PHONE, sms_code(PHONE), "Hongxing-2026!").status_code == 200
    assert sign_in(PHONE, "Hongxing-2026!").status_code == 200


def test_forgotten_password_is_reset_by_sms_and_old_sign_ins_end(world, db):
    phone = world["A"].member.phone
    old = sign_in(phone, "pass-1234").json()
    ask_code(phone)
    assert redeem(phone, sms_code(phone), "Brand-new-2026!").status_code == 200
    assert bearer(old["access"]).get("/api/v1/auth/me/").status_code == 401
    assert sign_in(phone, "Brand-new-2026!").status_code == 200


def test_unit_admin_actions_are_refused_to_others(world, db):
    member_id = world["A"].member_ids[1]
    assert api_client_for(world["A"].secretary).post(unit_url(world["A"], f"members/{member_id}/activation/"), {"method": "handover"}, format="json").status_code == 403
    assert api_client_for(world.county_admin_k1).post(unit_url(world["A"], f"members/{member_id}/activation/"), {"method": "sms"}, format="json").status_code == 403
    assert not ActivationCode.objects.exists()


def test_no_phone_and_bad_method_are_clear_400s(world, db):
    admin = api_client_for(world["A"].admin)
    created = admin.post(unit_url(world["A"], "members/"), {**PERSON, "phone": "", "branch": world["A"].branch_id}, format="json").json()
    assert created["login"] == "none"
    no_phone = issue(world, "A", created["id"], "sms")
    assert no_phone.status_code == 400 and no_phone.json()["error"]["message"]
    assert issue(world, "A", created["id"], "carrier-pigeon").status_code == 400


def test_sms_codes_to_one_number_are_limited(world, db):
    created = enrol(world, "A")
    answers = [issue(world, "A", created["id"], "sms").status_code for _ in range(7)]
    assert answers[:5] == [201] * 5 and answers[5:] == [429, 429]
    assert len(MemoryProvider.outbox) == 5


@override_settings(JIANNUO_DEMO=True, JIANNUO_SMS_PROVIDER="accounts.sms.LogProvider")
def test_the_demo_shows_sms_codes_to_the_admin(world, db, caplog):
    created = enrol(world, "A")
    with caplog.at_level("WARNING", logger="jiannuo.sms"):
        shown = issue(world, "A", created["id"], "sms").json()["code"]
    assert shown and f"SMS to {PHONE}" in caplog.text and shown in caplog.text


@override_settings(JIANNUO_DEMO=True)
def test_with_a_real_sms_provider_even_the_demo_shows_no_code(world, db):
    created = enrol(world, "A")
    assert issue(world, "A", created["id"], "sms").json()["code"] is None
    assert sms_code(PHONE)


def test_removing_a_member_or_changing_the_number_drops_the_pending_link(world, db):
    enrol(world, "A")
    in_b = enrol(world, "B")
    admin_b = api_client_for(world["B"].admin)
    assert admin_b.patch(unit_url(world["B"], f"members/{in_b['id']}/"), {"phone": "13712348888"}, format="json").status_code == 200
    assert not PendingLink.objects.filter(phone=PHONE).exists()
    assert admin_b.delete(unit_url(world["B"], f"members/{in_b['id']}/")).status_code == 204
    assert not UnitRole.objects.filter(user__phone="13712348888", unit=world["B"].unit).exists()
