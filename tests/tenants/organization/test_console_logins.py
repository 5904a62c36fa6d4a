"""The unit console's login actions: SMS codes, printed activation letters, unlocking."""
from __future__ import annotations

import re

from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from accounts.sms import MemoryProvider
from tenants.organization.models import Member
from tenants.organization.services import member_create
from tenants.services import unit_run
from tests.conftest import console_client


def new_member(world, phone: str) -> Member:
    from datetime import date

    with unit_run(world["A"].unit):
        branch = world["A"].branch_id
        from tenants.organization.models import Organization

        return member_create(unit=world["A"].unit, name="新党员", gender="male", birth_date=date(1990, 1, 1), joined_on=date(2015, 7, 1),
                             phone=phone, tier="agency_member", branch=Organization.objects.get(pk=branch))


def act(client, world, action: str, ids: list[int]):
    url = f"/u/{world['A'].unit.slug}/admin/organization/member/"
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, {"action": action, "_selected_action": [str(i) for i in ids]}, follow=True)


def test_unit_admin_prints_activation_letters_and_the_member_activates(world, db):
    member = new_member(world, "13712341234")
    console = console_client(world["A"].admin)
    listing = console.get(f"/u/{world['A'].unit.slug}/admin/organization/member/?q=新党员").content.decode()
    assert "未激活" in listing  # the login column
    page = act(console, world, "print_activation_letters", [member.pk])
    text = page.content.decode()
    assert page.status_code == 200 and "新党员" in text and "137****1234" in text
    code = re.search(r'class="code">([A-Z2-9]{4}-[A-Z2-9]{4})<', text).group(1)
    redeemed = APIClient().post("/api/v1/auth/activate/", {"phone": "13712341234", "code": code, "password": "Own-choice-2026"}, format="json")
    assert redeemed.status_code == 200
    assert "已激活" in console.get(f"/u/{world['A'].unit.slug}/admin/organization/member/?q=新党员").content.decode()


def test_unit_admin_sends_sms_codes_which_the_admin_never_sees(world, db):
    MemoryProvider.outbox.clear()
    member = new_member(world, "13712341235")
    page = act(console_client(world["A"].admin), world, "send_activation_sms", [member.pk])
    assert [to for to, _t in MemoryProvider.outbox] == ["13712341235"]
    code = re.search(r"\d{6}", MemoryProvider.outbox[0][1]).group(0)
    assert code not in page.content.decode()
    MemoryProvider.outbox.clear()


@override_settings(JIANNUO_DEMO=True, JIANNUO_SMS_PROVIDER="accounts.sms.LogProvider")
def test_in_the_demo_the_sms_code_shows_on_the_admins_screen(world, db, caplog):
    member = new_member(world, "13712341236")
    with caplog.at_level("WARNING", logger="jiannuo.sms"):
        page = act(console_client(world["A"].admin), world, "send_activation_sms", [member.pk])
    code = re.search(r"SMS to 13712341236: .*?(\d{6})", caplog.text).group(1)
    assert code in page.content.decode()


def test_county_viewers_get_no_login_actions(world, db):
    console = console_client(world.county_admin_k1)
    listing = console.get(f"/u/{world['A'].unit.slug}/admin/organization/member/")
    assert listing.status_code == 200
    assert "print_activation_letters" not in listing.content.decode()
    refused = act(console, world, "print_activation_letters", [world["A"].member_ids[1]])
    assert 'class="code"' not in refused.content.decode()  # no letters were made
