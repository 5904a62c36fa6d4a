"""The consoles as a unit admin, a county admin and an operator find them: the unit console's
start page links to everything the unit runs; lists read as the unit's people would write
them (the tree as it hangs, 姓名, record kinds in Chinese); a county admin's filters offer only
their own counties; a new unit gets its first admin from the command line or the console."""
from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.core.management import CommandError, call_command

from accounts.models import UnitRole, User
from tenants.models import Unit
from tenants.organization import services as org
from tenants.organization.models import Member, Organization
from tenants.services import unit_run
from tests.conftest import api_client_for, console_client, unit_url


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_unit_consoles_start_page_links_to_what_the_unit_runs(world, db):
    page = console_client(world["A"].admin).get("/u/unit-a/admin/").content.decode()
    assert "Not available" not in page
    for link in ("organization/member/", "organization/organization/", "pledges/pledge/", "pledges/pledgerules/", "pledges/round/", "audit/auditentry/"):
        assert f'href="/u/unit-a/admin/{link}"' in page, link


def test_the_organisation_list_shows_the_tree(world, db):
    A = world["A"]
    with unit_run(A.unit):
        # Made out of order: a second group under branch 2 first, then one under branch 1.
        org.organization_create(name="A Group Z", kind=Organization.Kind.GROUP, parent=Organization.objects.get(pk=A.branch2_id))
        org.organization_create(name="A Group 0", kind=Organization.Kind.GROUP, parent=Organization.objects.get(pk=A.branch_id), sort_order=0)
    text = _text(console_client(A.admin).get("/u/unit-a/admin/organization/organization/").content.decode())
    names = [name for name in re.findall(r"(A (?:Committee|Branch \d|Group [0-9Z]))", text)]
    assert names[:6] == ["A Committee", "A Branch 1", "A Group 0", "A Group 1", "A Branch 2", "A Group Z"] or \
        names[:6] == ["A Committee", "A Branch 1", "A Group 1", "A Group 0", "A Branch 2", "A Group Z"]
    assert "└ A Group Z" in text  # indented under its branch


def test_the_console_greets_its_admin_by_name(world, db):
    User.objects.filter(pk=world["A"].admin.pk).update(full_name="甲镇管理员")
    text = _text(console_client(world["A"].admin).get("/u/unit-a/admin/").content.decode())
    assert "甲镇管理员" in text and "admin-a" not in text


def test_an_organisations_parent_is_chosen_from_the_tree(world, db):
    form = console_client(world["A"].admin).get("/u/unit-a/admin/organization/organization/add/").content.decode()
    block = form.split('name="parent"', 1)[1].split("</select>", 1)[0]
    options = [o for o in re.findall(r"<option[^>]*>([^<]*)</option>", block) if o != "---------"]
    assert options == ["A Committee", "\u3000A Branch 1", "\u3000A Branch 2"]  # indented by depth; a group is no parent


def test_the_member_list_says_name_as_people_do(world, db):
    text = _text(console_client(world["A"].admin).get("/u/unit-a/admin/organization/member/").content.decode())
    assert "姓名" in text and "名称" not in text.split("A Secretary")[0]


def test_the_audit_trail_names_record_kinds_in_chinese(world, db):
    page = console_client(world["A"].admin).get("/u/unit-a/admin/audit/auditentry/").content.decode()
    assert "承诺事项" in page and "pledges.PledgeItem" not in _text(page)


def test_a_member_is_placed_in_a_branch_and_a_group_of_it_not_any_organisation(world, db):
    browser = console_client(world["A"].admin)
    form = browser.get("/u/unit-a/admin/organization/member/add/").content.decode()

    def options(select: str) -> list[str]:
        block = form.split(f'name="{select}"', 1)[1].split("</select>", 1)[0]
        return [o for o in re.findall(r"<option[^>]*>([^<]*)</option>", block) if o != "---------"]

    assert options("branch") == ["A Branch 1", "A Branch 2"]  # not the committee, not the group
    assert options("group") == ["A Branch 1 · A Group 1"]  # a group named with its branch
    listing = _text(browser.get("/u/unit-a/admin/organization/member/").content.decode())
    branch_filter = listing.split("以 党支部", 1)[1]
    assert "A Branch 1" in branch_filter and "A Committee" not in branch_filter and "A Group 1" not in branch_filter


def test_the_unit_pages_say_what_a_slug_is_without_eating_it_as_a_tag(world, db):
    browser = console_client(world.operator)
    for url in ("/admin/tenants/unit/add/", f"/admin/tenants/unit/{world['A'].unit.pk}/change/"):
        text = _text(browser.get(url).content.decode())
        assert "/u/hongxing/" in text and "/u//" not in text, url


def test_an_audit_entry_reads_as_the_fields_that_changed_by_their_names(world, db):
    from audit.models import AuditEntry

    A = world["A"]
    member_id = A.member_ids[1]
    assert api_client_for(A.admin).patch(unit_url(A, f"members/{member_id}/"), {"post": "组织委员", "is_exempt": True}, format="json").status_code == 200
    with unit_run(A.unit):
        entry = AuditEntry.objects.filter(model="organization.Member", object_id=str(member_id)).latest("id")
    page = console_client(A.admin).get(f"/u/unit-a/admin/audit/auditentry/{entry.pk}/change/").content.decode()
    text = _text(page)
    assert "党员" in text and "organization.Member" not in text  # the record kind, in Chinese
    assert "岗位 Clerk 组织委员" in text and "离退休或体弱 否 是" in text  # field, before, after
    assert '{"' not in page and "is_exempt" not in text


def test_an_audited_event_reads_in_chinese_too(world, db):
    from audit.models import AuditEntry
    from tenants.organization import identity

    A = world["A"]
    with unit_run(A.unit):
        member = Member.objects.get(pk=A.member_ids[1])
        identity.member_activation_issue(member=member, unit=A.unit, method="handover", by=A.admin)
        identity.member_unlock(member=member)
        issued, unlocked = AuditEntry.objects.filter(model="organization.Member", object_id=str(member.pk)).order_by("-id")[:2][::-1]
    browser = console_client(A.admin)
    issued_text = _text(browser.get(f"/u/unit-a/admin/audit/auditentry/{issued.pk}/change/").content.decode())
    assert "激活码 当面交付" in issued_text and "过期时间 " in issued_text and "handover" not in issued_text and "expires_at" not in issued_text
    assert "登录账号 已解锁" in _text(browser.get(f"/u/unit-a/admin/audit/auditentry/{unlocked.pk}/change/").content.decode())


def test_a_records_history_button_opens_its_audit_trail(world, db):
    A = world["A"]
    browser = console_client(A.admin)
    member_id = A.member_ids[1]
    opened = browser.get(f"/u/unit-a/admin/organization/member/{member_id}/history/")
    assert opened.status_code == 302
    assert opened["Location"] == f"/u/unit-a/admin/audit/auditentry/?model=organization.Member&object_id={member_id}"
    trail = _text(browser.get(opened["Location"]).content.decode())
    assert "A Member" in trail and "A Secretary" not in trail  # this member's entries, no one else's


def test_a_county_admins_unit_filter_offers_only_their_counties(world, db):
    page = console_client(world.county_admin_k1).get("/admin/tenants/unit/").content.decode()
    assert "County K1" in page and "County K2" not in page
    everything = console_client(world.operator).get("/admin/tenants/unit/").content.decode()
    assert "County K1" in everything and "County K2" in everything


def test_create_unit_gives_the_unit_its_first_admin(world, db):
    out = io.StringIO()
    call_command("create_unit", "--county", "k1", "--slug", "first-admin", "--name", "First Admin Town", "--kind", "township",
                 "--admin", "13612345678", stdout=out)
    unit = Unit.objects.get(slug="first-admin")
    admin = User.objects.get(phone="13612345678")
    assert UnitRole.objects.filter(user=admin, unit=unit, role=UnitRole.Role.UNIT_ADMIN).exists()
    password = re.search(r"one-time password: (\S+)\)", out.getvalue()).group(1)
    assert admin.check_password(password) and len(password) >= 12
    # An existing account is reused, its password untouched.
    out = io.StringIO()
    call_command("create_unit", "--county", "k1", "--slug", "second-admin", "--name", "Second Town", "--kind", "township",
                 "--admin", world["A"].admin.username, stdout=out)
    assert "existing account" in out.getvalue()
    assert UnitRole.objects.filter(user=world["A"].admin, unit__slug="second-admin", role=UnitRole.Role.UNIT_ADMIN).exists()
    assert world["A"].admin.check_password("pass-1234")
    # A login that cannot be anyone's is refused before the unit is made: no unit without its admin.
    for login in ("1234567", "bad name!", "  "):
        with pytest.raises(CommandError, match="admin"):
            call_command("create_unit", "--county", "k1", "--slug", "third-admin", "--name", "Third", "--kind", "township", "--admin", login)
        assert not Unit.objects.filter(slug="third-admin").exists()


def test_the_console_offers_the_first_admin_when_a_unit_is_created(world, db):
    operator = console_client(world.operator)
    form = operator.get("/admin/tenants/unit/add/").content.decode()
    assert 'name="first_admin"' in form and "首位单位管理员" in form and "Schema name" not in form
    answer = operator.post("/admin/tenants/unit/add/", {
        "name": "Console Town", "slug": "console-town", "kind": "township", "county": world.counties["K1"].pk,
        "first_admin": "console-town-admin",
    }, follow=True)
    assert answer.status_code == 200
    unit = Unit.objects.get(slug="console-town")
    admin = User.objects.get(username="console-town-admin")
    assert UnitRole.objects.filter(user=admin, unit=unit, role=UnitRole.Role.UNIT_ADMIN).exists()
    assert "一次性密码" in answer.content.decode()
    refused = operator.post("/admin/tenants/unit/add/", {
        "name": "Bad Town", "slug": "bad-town", "kind": "township", "county": world.counties["K1"].pk, "first_admin": "1234",
    })
    assert refused.status_code == 200 and not Unit.objects.filter(slug="bad-town").exists()  # refused before the unit is made
    refused = operator.post("/admin/tenants/unit/add/", {
        "name": "Bad Town", "slug": "bad-town", "kind": "township", "county": world.counties["K1"].pk, "first_admin": "bad name!",
    })
    assert "first_admin" in refused.context["adminform"].form.errors and not Unit.objects.filter(slug="bad-town").exists()


def test_a_first_admin_with_a_one_time_password_chooses_their_own_before_anything_else(world, db):
    out = io.StringIO()
    call_command("create_unit", "--county", "k1", "--slug", "own-password", "--name", "Own Password Town", "--kind", "township",
                 "--admin", "13612345679", stdout=out)
    one_time = re.search(r"one-time password: (\S+)\)", out.getvalue()).group(1)
    admin = User.objects.get(phone="13612345679")
    assert admin.password_is_temporary
    browser = console_client(admin)
    for page in ("/u/own-password/admin/", "/u/own-password/admin/organization/member/", "/u/own-password/admin/pledges/pledgerules/"):
        answer = browser.get(page)
        assert answer.status_code == 302 and answer["Location"].endswith("/password_change/"), page
    form = browser.get("/u/own-password/admin/password_change/")
    assert form.status_code == 200 and "一次性密码" in form.content.decode()
    changed = browser.post("/u/own-password/admin/password_change/", {
        "old_password": one_time, "new_password1": "Own-choice-2026", "new_password2": "Own-choice-2026"})
    assert changed.status_code == 302
    admin.refresh_from_db()
    assert not admin.password_is_temporary and admin.check_password("Own-choice-2026")
    assert browser.get("/u/own-password/admin/").status_code == 200  # the console opens
    # An existing account keeps its own password and is asked for nothing.
    assert not User.objects.get(pk=world["A"].admin.pk).password_is_temporary


def test_rural_and_community_members_have_their_tiers_and_common_pledges(world, db):
    A = world["A"]
    answer = api_client_for(A.admin).post(unit_url(A, "members/"), {
        "name": "A Villager", "gender": "female", "birth_date": "1970-03-01", "joined_on": "1995-07-01",
        "tier": "rural_member", "branch": A.branch_id, "post": "村民小组长",
    }, format="json")
    assert answer.status_code == 201 and answer.json()["tier"] == "rural_member"
    with unit_run(A.unit):
        from pledges.selectors import rules_current

        templates = rules_current().common_templates
        assert Member.objects.get(name="A Villager").get_tier_display() == "农村党员"
    assert templates["rural_member"] and templates["community_member"]


def test_django_admin_sentences_are_all_in_chinese():
    """The console's own words (Django's admin templates) that Django's Chinese catalogue lacks
    are translated in ours (jiannuo/django_gaps.py)."""
    import glob
    from pathlib import Path

    import django
    from django.utils import translation

    templates = Path(django.__file__).parent / "contrib/admin/templates"
    sentences = set()
    for path in glob.glob(str(templates / "**/*.html"), recursive=True):
        sentences |= set(re.findall(r"""\{% (?:translate|trans) ["']([^"']+)["']""", Path(path).read_text(encoding="utf-8")))
    with translation.override("zh-hans"):
        untranslated = sorted(s for s in sentences if translation.gettext(s) == s and any(c.isalpha() for c in s))
    assert not untranslated, untranslated


def test_a_county_viewer_reads_the_rules_as_words(world, db):
    page = console_client(world.county_admin_k1).get("/u/unit-a/admin/pledges/pledgerules/", follow=True).content.decode()
    text = _text(page)
    assert "学习、工作" in text and "农村党员" in text
    assert "study" not in text and "Common rural member" not in text and 'name="areas"' not in page  # read, not a form
    assert "JPEG、PNG" in text and "jpeg" not in text  # file types as people write them


def test_the_platform_console_names_third_party_sections_in_chinese(world, db):
    """django-axes' and django-otp's sections read in Chinese on every page, not only the start
    page: the titles, breadcrumbs, counts and actions of their lists and records."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    operator = console_client(world.operator)  # signs in past two-step verification: a device exists
    device = TOTPDevice.objects.get(user=world.operator)
    pages = {url: _text(operator.get(url).content.decode()) for url in (
        "/admin/", "/admin/axes/accessattempt/", "/admin/otp_totp/totpdevice/", f"/admin/otp_totp/totpdevice/{device.pk}/change/")}
    assert "两步验证" in pages["/admin/"] and "登录尝试" in pages["/admin/"]
    assert "首页 › 登录尝试 › 登录失败记录" in pages["/admin/axes/accessattempt/"]
    assert "首页 › 两步验证 › 身份验证器" in pages["/admin/otp_totp/totpdevice/"] and "1 身份验证器" in pages["/admin/otp_totp/totpdevice/"]
    for url, text in pages.items():
        for english in ("Axes", "Otp_Totp", "TOTP", "Access attempt", "access attempt"):
            assert english not in text, (url, english)


def test_naming_third_party_records_asks_for_no_migration(db):
    out = io.StringIO()
    call_command("makemigrations", "axes", "otp_totp", check=True, dry_run=True, stdout=out)  # exits non-zero on a change
    assert "No changes detected" in out.getvalue()


def test_the_sign_in_page_names_each_language_in_itself(client, db):
    """Someone who reads only English finds "English" in the switcher, not 英语."""
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page)
    assert options == [("zh-hans", "简体中文"), ("en", "English")]
