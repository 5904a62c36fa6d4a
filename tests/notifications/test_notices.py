"""Notices inside a unit: sent by a unit admin or a secretary, fanned out set-based to the people the
audience reaches, each once per channel, followed by the sender organisation by organisation."""
from datetime import time, timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, Notice, Notification, Preference
from notifications.services import deliveries_send_due, notice_fan_out, outbox_deliver_pending
from tenants.organization.models import Organization
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url
from tests.support.providers import MemoryProvider, PermanentFailure, TemporaryFailure


@pytest.fixture(autouse=True)
def _providers():
    MemoryProvider.sent, MemoryProvider.fail_with = [], None
    yield
    MemoryProvider.sent, MemoryProvider.fail_with = [], None


def _send(client, A, **body):
    return client.post(unit_url(A, "notices/"), {"title": "学习通知", "body": "周五下午学习。", **body}, format="json")


def _deliver(A):
    with unit_run(A.unit):
        return outbox_deliver_pending()


def test_a_unit_admins_notice_reaches_every_member_once_and_the_sender_follows_reads_per_branch(world, db):
    A = world["A"]
    admin = api_client_for(A.admin)
    sent = _send(admin, A, audience={"kind": "unit"})
    assert sent.status_code == 201, sent.json()
    notice_id = sent.json()["id"]
    assert api_client_for(A.member).get(unit_url(A, "notifications/unread-count/")).json() == {"unread": 0}  # not before the fan-out
    assert _deliver(A) == 1
    with unit_run(A.unit):
        notice = Notice.objects.get(pk=notice_id)
        assert notice_fan_out(notice) == 3  # run again (a duplicated task): nothing doubles
        assert sorted(Notification.objects.filter(notice=notice).values_list("recipient_id", flat=True)) == sorted(
            [A.secretary.pk, A.member.pk, A.other_member.pk])
    member = api_client_for(A.member)
    assert member.get(unit_url(A, "notifications/unread-count/")).json() == {"unread": 1}
    [message] = [n for n in member.get(unit_url(A, "notifications/")).json()["results"] if n["title"] == "学习通知"]
    member.post(unit_url(A, f"notifications/{message['id']}/read/"))
    counts = admin.get(unit_url(A, f"notices/{notice_id}/")).json()["counts"]
    assert (counts["recipients"], counts["delivered"], counts["read"], counts["unread"]) == (3, 3, 1, 2)
    assert {row["name"]: (row["delivered"], row["read"]) for row in counts["by_organisation"]} == {"A Branch 1": (2, 1), "A Branch 2": (1, 0)}


def test_a_secretary_addresses_only_what_they_lead_and_a_member_sends_nothing(world, db):
    A, B = world["A"], world["B"]
    secretary = api_client_for(A.secretary)
    with unit_run(A.unit):
        before = Notice.objects.count()
    ok = _send(secretary, A, audience={"kind": "organisations", "organisations": [A.branch_id]})
    assert ok.status_code == 201
    for audience in ({"kind": "unit"}, {"kind": "organisations", "organisations": [A.branch2_id]},
                     {"kind": "organisations", "organisations": [B.branch_id]}):
        refused = _send(secretary, A, audience=audience)
        assert refused.status_code == 400 and refused.json()["error"]["fields"]["audience"], audience
    assert _send(api_client_for(A.member), A, audience={"kind": "organisations", "organisations": [A.branch_id]}).status_code == 403
    assert api_client_for(A.member).get(unit_url(A, "notices/")).status_code == 403
    _deliver(A)
    with unit_run(A.unit):
        assert Notice.objects.count() == before + 1
        sent = Notice.objects.latest("pk")
        assert sorted(sent.inbox.values_list("recipient_id", flat=True)) == sorted([A.secretary.pk, A.member.pk])  # branch 1 and its group


@pytest.mark.parametrize("body, field", [
    ({"title": "", "audience": {"kind": "unit"}}, "title"),
    ({"body": "长" * 5001, "audience": {"kind": "unit"}}, "body"),
    ({"audience": {"kind": "unit"}, "channels": ["pigeon"]}, "channels"),
    ({"audience": {"kind": "organisations", "organisations": []}}, "audience"),
    ({"audience": {"kind": "organisations", "organisations": [999999]}}, "audience"),
    ({"audience": {"kind": "unit", "role": "everyone"}}, "audience"),
    ({"audience": {"kind": "organisations", "organisations": [1], "role": "unit_admins"}}, "audience"),
    ({"audience": "all"}, "audience"),
])
def test_bad_notices_are_refused_in_chinese_and_send_nothing(world, db, body, field):
    A = world["A"]
    with unit_run(A.unit):
        before = Notice.objects.count()
    response = _send(api_client_for(A.admin), A, **body)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert field in error["fields"] and any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(error["fields"][field]))
    with unit_run(A.unit):
        assert Notice.objects.count() == before


def test_an_audience_nobody_can_be_reached_in_is_refused(world, db):
    A = world["A"]
    with unit_run(A.unit):
        empty = Organization.objects.create(name="A 空支部", kind=Organization.Kind.BRANCH, parent_id=A.committee_id)
    response = _send(api_client_for(A.admin), A, audience={"kind": "organisations", "organisations": [empty.pk]})
    assert response.status_code == 400 and "audience" in response.json()["error"]["fields"]


def test_the_same_send_twice_is_one_notice(world, db):
    A = world["A"]
    admin = api_client_for(A.admin)
    first = admin.post(unit_url(A, "notices/"), {"title": "只发一次", "audience": {"kind": "unit"}}, format="json", HTTP_IDEMPOTENCY_KEY="send-once-1")
    again = admin.post(unit_url(A, "notices/"), {"title": "只发一次", "audience": {"kind": "unit"}}, format="json", HTTP_IDEMPOTENCY_KEY="send-once-1")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    _deliver(A)
    with unit_run(A.unit):
        assert Notification.objects.filter(title="只发一次").count() == 3


def test_roles_secretaries_and_unit_admins(world, db):
    A = world["A"]
    admin = api_client_for(A.admin)
    to_secretaries = _send(admin, A, title="书记会", audience={"kind": "unit", "role": "secretaries"}).json()["id"]
    to_admins = _send(admin, A, title="管理员会", audience={"kind": "unit", "role": "unit_admins"}).json()["id"]
    _deliver(A)
    with unit_run(A.unit):
        assert list(Notification.objects.filter(notice_id=to_secretaries).values_list("recipient_id", flat=True)) == [A.secretary.pk]
        assert list(Notification.objects.filter(notice_id=to_admins).values_list("recipient_id", flat=True)) == [A.admin.pk]


def test_outside_channels_follow_each_persons_preferences_quiet_hours_and_digest(world, db):
    A = world["A"]
    for user, email in ((A.secretary, "sec@example.cn"), (A.member, "member@example.cn"), (A.other_member, "")):
        user.email = email
        user.save(update_fields=["email"])
    member = api_client_for(A.member)
    assert member.get(unit_url(A, "notifications/preferences/")).json() == {"email": True, "sms": True, "quiet_from": None, "quiet_until": None, "digest": False}
    # 22:00–07:00 quiet; the frozen clock is 10:00 local, so move to 23:30 for the send.
    assert member.patch(unit_url(A, "notifications/preferences/"), {"quiet_from": "22:00", "quiet_until": "07:00", "sms": False}, format="json").status_code == 200
    bad = member.patch(unit_url(A, "notifications/preferences/"), {"quiet_from": "08:00", "quiet_until": None}, format="json")
    assert bad.status_code == 400
    late = timezone.localtime().replace(hour=23, minute=30)
    with time_machine.travel(late, tick=False):
        notice_id = _send(api_client_for(A.admin), A, title="夜间通知", audience={"kind": "unit"}, channels=["email", "sms"]).json()["id"]
        urgent_id = _send(api_client_for(A.admin), A, title="紧急通知", audience={"kind": "unit"}, channels=["email"], urgent=True).json()["id"]
        _deliver(A)
        with unit_run(A.unit):
            rows = {(d.notice_id, d.channel, d.recipient_id): d for d in Delivery.objects.filter(notice_id__in=[notice_id, urgent_id])}
            # Email: only those with an address; SMS: all with a phone except the member who turned it off.
            assert {(c, r) for n, c, r in rows if n == notice_id} == {
                ("email", A.secretary.pk), ("email", A.member.pk), ("sms", A.secretary.pk), ("sms", A.other_member.pk)}
            quiet = rows[(notice_id, "email", A.member.pk)]
            assert timezone.localtime(quiet.due_at).replace(tzinfo=None) == (late + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0, tzinfo=None)
            assert rows[(notice_id, "email", A.secretary.pk)].due_at <= timezone.now()
            assert rows[(urgent_id, "email", A.member.pk)].due_at <= timezone.now()  # urgent: through quiet hours
            assert deliveries_send_due() == 5  # the member's quiet one waits
        assert sorted((m.to, m.title) for m in MemoryProvider.sent) == sorted([
            ("sec@example.cn", "夜间通知"), (A.secretary.phone, "夜间通知"), (A.other_member.phone, "夜间通知"),
            ("sec@example.cn", "紧急通知"), ("member@example.cn", "紧急通知")])
    with time_machine.travel(late + timedelta(hours=8), tick=False), unit_run(A.unit):
        MemoryProvider.sent = []
        assert deliveries_send_due() == 1
        assert [(m.to, m.title) for m in MemoryProvider.sent] == [("member@example.cn", "夜间通知")]
        assert deliveries_send_due() == 0  # each once


def test_routine_reminders_wait_for_the_digest_of_those_who_want_one(world, db):
    A = world["A"]
    A.member.email = "member@example.cn"
    A.member.save(update_fields=["email"])
    with unit_run(A.unit):
        Preference.objects.create(user_id=A.member.pk, digest=True)
        for n in range(3):
            notice = services._notice_record(kind=Notice.Kind.EVENT, title=f"请记录进展 {n}", audience={"kind": "people", "user_ids": [A.member.pk]},
                                             channels=["email"], routine=True)
        outbox_deliver_pending()
        assert set(Delivery.objects.filter(recipient_id=A.member.pk, notice__routine=True).values_list("status", flat=True)) == {"digest"}
        assert deliveries_send_due() == 0
        due = Delivery.objects.filter(notice=notice).get().due_at
        assert timezone.localtime(due).hour == 18
    with time_machine.travel(due + timedelta(minutes=1), tick=False), unit_run(A.unit):
        assert deliveries_send_due() == 1
        [digest] = MemoryProvider.sent
        assert digest.to == "member@example.cn" and all(f"请记录进展 {n}" in digest.body for n in range(3))
        assert set(Delivery.objects.filter(recipient_id=A.member.pk, notice__routine=True).values_list("status", flat=True)) == {"sent"}


def test_failures_are_retried_with_backoff_and_a_final_failure_is_recorded(world, db):
    A = world["A"]
    A.member.email = "member@example.cn"
    A.member.save(update_fields=["email"])
    with unit_run(A.unit):
        notice = services._notice_record(kind=Notice.Kind.EVENT, title="重试", audience={"kind": "people", "user_ids": [A.member.pk]}, channels=["email"])
        outbox_deliver_pending()
        MemoryProvider.fail_with = TemporaryFailure("mail server busy")
        now = timezone.now()
        for attempt in range(1, services.MAX_ATTEMPTS + 1):
            with time_machine.travel(now, tick=False):
                assert deliveries_send_due() == 0
                row = Delivery.objects.get(notice=notice)
                assert row.attempts == attempt and "busy" in row.last_error
                if attempt < services.MAX_ATTEMPTS:
                    assert row.status == "pending" and row.due_at == now + services.retry_after(attempt)
                    assert deliveries_send_due() == 0  # not before its time
                now = row.due_at + timedelta(seconds=1)
        assert row.status == "failed"
        second = services._notice_record(kind=Notice.Kind.EVENT, title="拒收", audience={"kind": "people", "user_ids": [A.member.pk]}, channels=["email"])
        outbox_deliver_pending()
        MemoryProvider.fail_with = PermanentFailure("no such mailbox")
        deliveries_send_due()
        assert Delivery.objects.get(notice=second).status == "failed" and Delivery.objects.get(notice=second).attempts == 1


def test_reminders_go_to_those_who_have_not_read_and_not_too_often(world, db):
    A = world["A"]
    admin = api_client_for(A.admin)
    notice_id = _send(admin, A, title="请阅", audience={"kind": "unit"}).json()["id"]
    _deliver(A)
    member = api_client_for(A.member)
    assert member.post(unit_url(A, "notifications/read-all/")).json()["marked"] >= 1
    reminded = admin.post(unit_url(A, f"notices/{notice_id}/remind/"))
    assert reminded.status_code == 201 and reminded.json()["reminder_of"] == notice_id
    _deliver(A)
    with unit_run(A.unit):
        assert sorted(Notification.objects.filter(notice_id=reminded.json()["id"]).values_list("recipient_id", flat=True)) == sorted(
            [A.secretary.pk, A.other_member.pk])
    again = admin.post(unit_url(A, f"notices/{notice_id}/remind/"))
    assert again.status_code == 409 and "提醒" in again.json()["error"]["message"]
    assert api_client_for(A.member).post(unit_url(A, f"notices/{notice_id}/remind/")).status_code == 404  # not theirs to see


def test_events_from_the_other_parts_use_the_same_pipeline(world, db):
    A = world["A"]
    with unit_run(A.unit):
        services.notify(recipient_ids=[A.member.pk, A.member.pk], title="承诺待审核", topic="pledge.review")
        outbox_deliver_pending()
        notice = Notice.objects.get(title="承诺待审核")
        assert notice.kind == "event" and notice.recipients == 1 and notice.inbox.get().recipient_id == A.member.pk
    # Events are not announcements: they are in inboxes, not in the notices list.
    assert all(n["title"] != "承诺待审核" for n in api_client_for(A.admin).get(unit_url(A, "notices/")).json()["results"])


def test_quiet_hours_must_have_both_ends(world, db):
    A = world["A"]
    with unit_run(A.unit), pytest.raises(Exception):
        services.preference_update(user_id=A.member.pk, changes={"quiet_from": time(22, 0)})


def test_routine_reminders_from_the_cadence_go_by_sms_or_wait_for_the_digest(world, db):
    """The monthly record reminder is routine: by SMS to those who allow it, in the digest of those who
    asked for one, never on a channel someone turned off; an overdue notice stays in the inbox."""
    A = world["A"]
    with unit_run(A.unit):
        Preference.objects.create(user_id=A.member.pk, digest=True)
        Preference.objects.create(user_id=A.other_member.pk, sms=False)
        services.notify(recipient_ids=[A.secretary.pk, A.member.pk, A.other_member.pk], title="请记录本月践诺情况", topic="pledge.record_reminder", routine=True)
        services.notify(recipient_ids=[A.member.pk], title="已逾期：走访", topic="pledge.overdue")
        outbox_deliver_pending()
        rows = {d.recipient_id: d.status for d in Delivery.objects.filter(notice__title="请记录本月践诺情况")}
        assert rows == {A.secretary.pk: "pending", A.member.pk: "digest"}
        assert not Delivery.objects.filter(notice__title="已逾期：走访").exists()
