"""A county admin sends a notice from the county console in a real browser and watches it arrive:
the page refreshes itself while units are still receiving it, and shows each unit's and branch's
counts once they have it. Nothing is fetched from outside this machine."""
from __future__ import annotations

from tests.browser.test_county_console import signed_in  # noqa: F401 (a fixture)


def test_a_county_admin_sends_a_notice_and_watches_it_delivered(live_site, signed_in, world, django_db_blocker):  # noqa: F811
    from django.db import connection

    from notifications.models import Notice, OutboxMessage
    from notifications.services import outbox_deliver_pending
    from oversight import notices
    from oversight.models import CountyNotice
    from tenants.services import unit_run

    page = signed_in(world.county_admin_k1)
    try:
        page.goto(f"{live_site}/county/")
        page.get_by_role("link", name="通知").first.click()
        assert page.get_by_role("heading", name="发送通知").is_visible()
        assert page.get_by_label("Unit C（County K2）").count() == 0  # another county's unit is not offered
        page.get_by_label("标题").fill("浏览器发送的通知")
        page.get_by_label("正文").fill("请各支部组织学习。")
        page.get_by_label("Unit A（County K1）").check()
        page.get_by_role("button", name="发送").click()
        page.wait_for_url("**/county/notices/*/")
        assert page.get_by_text("正在送达，本页会自动刷新。").is_visible()
        assert page.locator("#units-delivered").inner_text() == "0 / 1"
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            notice = CountyNotice.objects.get(title="浏览器发送的通知")
            with unit_run(world["A"].unit):  # what the unit's task and outbox do
                notices.county_notice_carry(county_notice_id=notice.pk)
                outbox_deliver_pending()
        # No reload by the test: the page refreshes itself and shows the unit delivered.
        page.wait_for_function("document.querySelector('#units-delivered').innerText === '1 / 1'", timeout=15000)
        assert page.locator("#recipients").inner_text() == "3"
        rows = page.locator("table[data-table=branches] tbody tr").all_inner_texts()
        assert any("A Branch 1" in row for row in rows) and any("A Branch 2" in row for row in rows)
    finally:
        with django_db_blocker.unblock():
            with unit_run(world["A"].unit):
                Notice.objects.filter(title="浏览器发送的通知").delete()
                OutboxMessage.objects.filter(payload__title="浏览器发送的通知").delete()
            connection.set_schema_to_public()
            CountyNotice.objects.filter(title="浏览器发送的通知").delete()
