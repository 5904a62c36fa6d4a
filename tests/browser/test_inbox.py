"""The web inbox in a real browser on a phone-sized screen: a member reads a message and marks
everything read; the page is Chinese and fetches nothing from outside this machine."""
from __future__ import annotations

from tests.browser.test_county_console import signed_in  # noqa: F401 (a fixture)


def test_a_member_reads_and_clears_the_inbox_on_a_phone(live_site, signed_in, world, django_db_blocker):  # noqa: F811
    from django.db import connection

    from notifications.models import Notice, OutboxMessage
    from notifications.services import notify, outbox_deliver_pending
    from tenants.services import unit_run

    A = world["A"]
    titles = ["手机上看到的通知", "第二条通知"]
    with django_db_blocker.unblock(), unit_run(A.unit):
        for title in titles:
            notify(recipient_ids=[A.member.pk], title=title, body="请按时参加。")
        outbox_deliver_pending()
    try:
        page = signed_in(A.member)
        page.set_viewport_size({"width": 375, "height": 800})
        page.goto(f"{live_site}/u/unit-a/inbox/")
        assert page.get_by_role("heading", name="Unit A · 消息").is_visible()
        assert page.get_by_text("2 条未读消息。").is_visible()
        page.get_by_role("button", name="标为已读", exact=True).first.click()
        page.get_by_text("1 条未读消息。").wait_for()
        page.get_by_role("button", name="全部标为已读").click()
        page.get_by_text("0 条未读消息。").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    finally:
        with django_db_blocker.unblock(), unit_run(A.unit):
            Notice.objects.filter(title__in=titles).delete()
            OutboxMessage.objects.filter(payload__title__in=titles).delete()
            connection.set_schema_to_public()
