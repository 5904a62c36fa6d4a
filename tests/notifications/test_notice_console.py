"""Notices in the unit console: a unit admin sends one with a form (refusals shown on the form,
nothing sent), follows its delivery and reads per branch, and reminds those who have not read it."""
from notifications.models import Notice, Notification
from notifications.services import outbox_deliver_pending
from tenants.services import unit_run
from tests.conftest import console_client

ADD = "/u/unit-a/admin/notifications/notice/add/"


def test_a_unit_admin_sends_a_notice_from_the_console_and_follows_it(world, db):
    A = world["A"]
    browser = console_client(A.admin)
    form = browser.get(ADD)
    assert form.status_code == 200 and "A Branch 2" in form.content.decode() and "B Branch" not in form.content.decode()
    sent = browser.post(ADD, {"title": "控制台发的通知", "body": "请阅读", "organisations": [A.branch2_id], "role": "members", "channels": ["sms"]})
    assert sent.status_code == 302
    with unit_run(A.unit):
        notice = Notice.objects.get(title="控制台发的通知")
        assert notice.audience == {"kind": "organisations", "organisations": [A.branch2_id], "role": "members"} and notice.channels == ["sms"]
        outbox_deliver_pending()
        assert list(Notification.objects.filter(notice=notice).values_list("recipient_id", flat=True)) == [A.other_member.pk]
    page = browser.get(f"/u/unit-a/admin/notifications/notice/{notice.pk}/change/").content.decode()
    assert "A Branch 2" in page and "1 人已送达" in page
    listing = browser.get("/u/unit-a/admin/notifications/notice/")
    assert listing.status_code == 200 and "控制台发的通知" in listing.content.decode()
    reminded = browser.post("/u/unit-a/admin/notifications/notice/", {"action": "remind", "_selected_action": [notice.pk]}, follow=True)
    assert "已发送提醒" in reminded.content.decode()
    with unit_run(A.unit):
        assert Notice.objects.filter(reminder_of=notice).count() == 1


def test_a_refused_notice_is_shown_on_the_form_and_nothing_is_sent(world, db):
    A = world["A"]
    browser = console_client(A.admin)
    with unit_run(A.unit):
        before = Notice.objects.count()
    refused = browser.post(ADD, {"title": "只给管理员", "organisations": [A.branch_id], "role": "unit_admins"})
    assert refused.status_code == 200 and "单位管理员只能按全单位发送" in refused.content.decode()
    with unit_run(A.unit):
        assert Notice.objects.count() == before
    # A county admin looking in from above reads, and sends nothing.
    county = console_client(world.county_admin_k1)
    assert county.get(ADD).status_code == 403
