"""The unit console in a real browser, at desktop width, as unit A's admin: the start page links
to what the unit runs; a pledge's page shows its items, review comments and history; the rules
page is ticked and typed into, saved, and refuses a bad entry in Chinese."""
from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture
def unit_admin_page(live_site, browser, world, django_db_blocker):
    """A browser context signed in as unit A's admin (the session is committed, so the live
    server sees it)."""
    from django.db import connection

    from tests.conftest import console_client

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        client = console_client(world["A"].admin)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_site}])
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_a_new_unit_admin_signs_in_and_finds_members_organisations_pledges_rules_and_rounds(live_site, page, person, world, django_db_blocker):
    """As the README has it: a unit admin opens /u/<unit>/admin/, signs in with the form, and the
    start page and the sidebar link to what the unit runs (no "Not available for global schema")."""
    from accounts.models import UnitRole

    admin = person("browser-unit-admin", full_name="浏览器单位管理员")
    with django_db_blocker.unblock():
        UnitRole.objects.create(user=admin, unit=world["A"].unit, role=UnitRole.Role.UNIT_ADMIN)
    page.goto(f"{live_site}/u/unit-a/admin/")
    assert "/accounts/login/" in page.url  # the console asks who is there
    page.get_by_label("用户名或手机号").fill("browser-unit-admin")
    page.get_by_label("密码").fill("Browser-pass-2026")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/u/unit-a/admin/")
    assert "Not available" not in page.locator("body").inner_text()
    main = page.locator("#content-main")
    for name in ("党员", "党组织", "承诺", "承诺规则", "轮次", "承诺事项", "操作记录"):
        assert main.get_by_role("link", name=name, exact=True).first.is_visible(), name
    with page.expect_navigation():
        main.get_by_role("link", name="党员", exact=True).first.click()
    assert "/admin/organization/member/" in page.url
    assert "Not available" not in page.locator("body").inner_text()  # the sidebar, now open, too
    sidebar = page.locator("#nav-sidebar")
    for name in ("党员", "党组织", "承诺", "承诺规则", "轮次"):
        assert sidebar.get_by_role("link", name=name, exact=True).first.is_visible(), name
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert any(h.strip() == "姓名" for h in headers), headers


def test_a_pledges_page_shows_items_review_comments_and_history(live_site, unit_admin_page, world):
    page = unit_admin_page
    page.goto(f"{live_site}/u/unit-a/admin/pledges/pledge/{world['A'].pledge_id}/change/")
    items = page.locator(".inline-group").first
    assert items.get_by_text("A pledge item 1", exact=True).first.is_visible()
    assert items.locator("th", has_text="审核意见").count() == 1  # the review comments' column
    history = page.locator(".inline-group").nth(1)
    assert "承诺历程" in history.inner_text() and history.locator("tbody tr").count() >= 3  # submitted, approved, published
    steps = [row.split("\t") for row in history.locator("tbody tr").all_inner_texts()]
    assert ["已审核通过", "A Secretary"] in [step[1:3] for step in steps]  # who approved, by name
    assert "object (" not in page.locator("#content-main").inner_text()  # no "PledgeEvent object (12)" over the rows
    assert items.locator("tbody tr").first.locator("td.field-number").inner_text() == "1"
    assert page.get_by_text("✓ ").first.is_visible()  # the checklist, point by point
    assert '{"' not in page.locator(".field-review_checklist").inner_text()


def test_the_rules_form_is_ticked_typed_saved_and_refuses_in_chinese(live_site, unit_admin_page, world, django_db_blocker):
    from django.db import connection

    from pledges.selectors import rules_current
    from pledges.services import rules_update
    from tenants.services import unit_run

    with django_db_blocker.unblock(), unit_run(world["A"].unit):
        before = rules_current()
        kept = {"areas": list(before.areas), "review_checklist": list(before.review_checklist)}
    page = unit_admin_page
    try:
        page.goto(f"{live_site}/u/unit-a/admin/pledges/pledgerules/")
        discipline = page.get_by_role("checkbox", name="自律", exact=True)
        assert discipline.is_checked()
        discipline.uncheck()  # a unit that leaves self-discipline out this year
        checklist = page.locator("textarea[name=review_checklist]")
        assert int(checklist.get_attribute("rows")) > len(kept["review_checklist"])  # every point in sight
        checklist.fill(checklist.input_value() + "\n符合岗位职责")
        with page.expect_navigation():
            page.get_by_role("button", name="保存", exact=True).click()
        assert "/admin/pledges/pledgerules/" in page.url and page.locator(".messagelist .success").count() == 1
        with django_db_blocker.unblock(), unit_run(world["A"].unit):
            saved = rules_current()
        assert "discipline" not in saved.areas and saved.review_checklist[-1] == "符合岗位职责"

        page.goto(f"{live_site}/u/unit-a/admin/pledges/pledgerules/")
        page.locator("textarea[name=review_checklist]").fill("点" * 101)
        with page.expect_navigation():
            page.get_by_role("button", name="保存", exact=True).click()
        assert "每行最多 100 个字" in page.locator(".errorlist").first.inner_text()
        with django_db_blocker.unblock(), unit_run(world["A"].unit):
            assert rules_current().review_checklist[-1] == "符合岗位职责"  # nothing changed
    finally:
        with django_db_blocker.unblock(), unit_run(world["A"].unit):
            rules_update(changes=kept)
            connection.set_schema_to_public()


def test_a_unit_admin_sends_a_notice_to_a_branch_and_sees_who_has_it(live_site, unit_admin_page, world, django_db_blocker):
    """通知 › 增加: a notice to one branch, sent from the console; its page then shows the branch's
    delivery once the unit's outbox has delivered it."""
    from notifications.models import Notice, OutboxMessage
    from notifications.services import outbox_deliver_pending
    from tenants.services import unit_run

    page = unit_admin_page
    title = "控制台浏览器通知"
    try:
        page.goto(f"{live_site}/u/unit-a/admin/notifications/notice/add/")
        page.get_by_label("标题").fill(title)
        page.get_by_label("组织").select_option(label="A Branch 2")
        with page.expect_navigation():
            page.get_by_role("button", name="保存", exact=True).click()
        assert "/admin/notifications/notice/" in page.url and "errornote" not in page.content()
        with django_db_blocker.unblock(), unit_run(world["A"].unit):
            notice = Notice.objects.get(title=title)
            outbox_deliver_pending()
        page.goto(f"{live_site}/u/unit-a/admin/notifications/notice/{notice.pk}/change/")
        text = page.locator("#content-main").inner_text()
        assert "A Branch 2" in text and "1 人已送达，0 人已读，1 人未读。" in text
    finally:
        with django_db_blocker.unblock(), unit_run(world["A"].unit):
            Notice.objects.filter(title=title).delete()
            OutboxMessage.objects.filter(payload__title=title).delete()
