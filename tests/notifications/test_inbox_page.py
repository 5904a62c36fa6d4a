"""The inbox on the web: the person's own messages in the unit, newest first, marked read one by
one or all at once; nobody else's, and nothing of another unit."""
from notifications.models import Notification
from notifications.services import notify, outbox_deliver_pending
from tenants.services import unit_run
from tests.conftest import console_client


def test_a_member_reads_their_messages_on_the_web(world, db):
    A, B = world["A"], world["B"]
    with unit_run(A.unit):
        notify(recipient_ids=[A.member.pk], title="请审核承诺", body="第一条")
        notify(recipient_ids=[A.member.pk], title="本月请记录践诺情况")
        notify(recipient_ids=[A.other_member.pk], title="别人的消息")
        outbox_deliver_pending()
    with unit_run(B.unit):
        notify(recipient_ids=[B.member.pk], title="B unit message")
        outbox_deliver_pending()
    browser = console_client(A.member)
    page = browser.get("/u/unit-a/inbox/").content.decode()
    assert page.index("本月请记录践诺情况") < page.index("请审核承诺")  # newest first
    assert "别人的消息" not in page and "B unit message" not in page and "2 条未读消息" in page
    with unit_run(A.unit):
        first = Notification.objects.get(title="请审核承诺")
    assert browser.post("/u/unit-a/inbox/", {"read": str(first.pk)}).status_code == 302
    assert "1 条未读消息" in browser.get("/u/unit-a/inbox/").content.decode()
    browser.post("/u/unit-a/inbox/", {"all": "1"})
    assert "0 条未读消息" in browser.get("/u/unit-a/inbox/").content.decode()
    with unit_run(A.unit):
        assert not Notification.objects.filter(recipient_id=A.member.pk, read_at__isnull=True).exists()
        assert Notification.objects.get(title="别人的消息").read_at is None
    # Another unit's member at this unit's address: as if it did not exist.
    assert console_client(B.member).get("/u/unit-a/inbox/").status_code == 404
    # Someone else's message id: nothing happens.
    with unit_run(A.unit):
        theirs = Notification.objects.get(title="别人的消息")
    browser.post("/u/unit-a/inbox/", {"read": str(theirs.pk)})
    with unit_run(A.unit):
        assert Notification.objects.get(pk=theirs.pk).read_at is None
