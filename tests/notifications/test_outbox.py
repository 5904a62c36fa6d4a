"""The outbox: messages are recorded with the change that causes them, delivered once."""
import pytest
from django.db import transaction

from notifications.models import Notice, Notification, OutboxMessage
from notifications.services import notify, outbox_deliver_pending
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url


def test_message_rolls_back_with_the_change_that_caused_it(world, db):
    with unit_run(world["A"].unit):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(recipient_ids=[world["A"].member.pk], title="never")
            raise RuntimeError("the business change failed")
        assert not OutboxMessage.objects.filter(payload__title="never").exists()
        assert not Notice.objects.filter(title="never").exists()


def test_delivery_creates_inbox_rows_once_even_when_run_twice(world, db):
    with unit_run(world["A"].unit):
        notify(recipient_ids=[world["A"].member.pk, world["A"].secretary.pk], title="请记录本月践诺情况")
        assert outbox_deliver_pending() == 1
        assert outbox_deliver_pending() == 0
        assert Notification.objects.filter(title="请记录本月践诺情况").count() == 2


def test_same_dedupe_key_enqueues_once(world, db):
    with unit_run(world["A"].unit):
        first = notify(recipient_ids=[world["A"].member.pk], title="once", dedupe_key="reminder:2026-11:1")
        second = notify(recipient_ids=[world["A"].member.pk], title="once", dedupe_key="reminder:2026-11:1")
        assert first.pk == second.pk
        assert OutboxMessage.objects.filter(dedupe_key="reminder:2026-11:1").count() == 1
        assert Notice.objects.filter(dedupe_key="reminder:2026-11:1").count() == 1


def test_a_failing_message_does_not_block_the_others(world, db, monkeypatch):
    from notifications import services

    with unit_run(world["A"].unit):
        bad = notify(recipient_ids=[world["A"].member.pk], title="bad")
        good = notify(recipient_ids=[world["A"].member.pk], title="good")
        original = services._HANDLERS[services.TOPIC_FAN_OUT]

        def flaky(message):
            if message.payload["title"] == "bad":
                raise ValueError("downstream refused")
            original(message)

        monkeypatch.setitem(services._HANDLERS, services.TOPIC_FAN_OUT, flaky)
        assert outbox_deliver_pending() == 1
        bad.refresh_from_db()
        good.refresh_from_db()
        assert bad.delivered_at is None and bad.attempts == 1 and "downstream refused" in bad.last_error
        assert good.delivered_at is not None


def test_inbox_is_per_person_and_per_unit(world, db):
    with unit_run(world["A"].unit):
        notify(recipient_ids=[world["A"].member.pk], title="A only")
        outbox_deliver_pending()
    mine = api_client_for(world["A"].member).get(unit_url(world["A"], "notifications/")).json()["results"]
    assert [n["title"] for n in mine] == ["A only"]
    theirs = api_client_for(world["A"].secretary).get(unit_url(world["A"], "notifications/")).json()["results"]
    assert theirs == []
    read = api_client_for(world["A"].member).post(unit_url(world["A"], f"notifications/{mine[0]['id']}/read/"))
    assert read.status_code == 200 and read.json()["read_at"]
    assert api_client_for(world["A"].secretary).post(unit_url(world["A"], f"notifications/{mine[0]['id']}/read/")).status_code == 404


def test_one_delivery_nudge_per_transaction_and_none_after_a_rollback(world, db):
    from django.db import connection, transaction

    def nudges():
        return sum(1 for entry in connection.run_on_commit if getattr(entry[1], "outbox_nudge", False))

    with unit_run(world["A"].unit):
        assert nudges() == 0
        try:
            with transaction.atomic():
                notify(recipient_ids=[world["A"].member.pk], title="rolled back")
                assert nudges() == 1
                raise RuntimeError
        except RuntimeError:
            pass
        assert nudges() == 0  # gone with its savepoint, so the next message nudges again
        for i in range(5):
            notify(recipient_ids=[world["A"].member.pk], title=f"many {i}")
        assert nudges() == 1


def test_the_inbox_lists_newest_first_as_its_serializer_gives_it_with_the_read_filter_and_pages(world, db):
    """The inbox's compiled read (one statement for a page and its count) answers what the
    documented NotificationSerializer gives for the same messages, for read_at__isnull as its
    filter takes it (true/false/1/0; anything else refused) and across pages."""
    from notifications.api.views import NotificationSerializer
    from notifications.selectors import inbox_of

    A = world["A"]
    with unit_run(A.unit):
        for n in range(5):
            notify(recipient_ids=[A.member.pk], title=f"消息 {n}", body=f"正文 {n}")
        outbox_deliver_pending()
        Notification.objects.filter(title__in=["消息 1", "消息 3"]).update(read_at="2026-11-20T08:00:00+08:00")
        everything = NotificationSerializer(inbox_of(user_id=A.member.pk).order_by("-created_at", "-id"), many=True).data
    client = api_client_for(A.member)
    expected = {"": everything, "?read_at__isnull=true": [n for n in everything if n["read_at"] is None],
                "?read_at__isnull=0": [n for n in everything if n["read_at"] is not None]}
    for query, wanted in expected.items():
        body = client.get(unit_url(A, f"notifications/{query}")).json()
        assert body["results"] == [dict(n) for n in wanted] and body["count"] == len(wanted), query
    assert client.get(unit_url(A, "notifications/?read_at__isnull=maybe")).status_code == 400
    assert len(everything) == 5 and everything[0]["title"] == "消息 4"
    first = client.get(unit_url(A, "notifications/?page_size=2")).json()
    second = client.get(unit_url(A, "notifications/?page_size=2&page=3")).json()
    assert first["count"] == second["count"] == 5 and first["next"] and second["next"] is None
    assert [n["title"] for n in first["results"] + second["results"]] == ["消息 4", "消息 3", "消息 0"]
    assert client.get(unit_url(A, "notifications/?page_size=2&page=4")).status_code == 404


def test_only_units_with_messages_waiting_are_swept(world, db):
    """Recording a message marks its unit (public schema); delivering everything unmarks it; the
    periodic sweep is sent only to marked units."""
    import json

    import redis
    from django.conf import settings
    from django.db import connection

    from tenants.models import OutboxPending
    from tenants.tasks import fan_out

    connection.set_schema_to_public()
    OutboxPending.objects.all().delete()
    with unit_run(world["A"].unit):
        notify(recipient_ids=[world["A"].member.pk], title="marks the unit")
    assert list(OutboxPending.objects.values_list("unit_id", flat=True)) == [world["A"].unit.pk]
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    client.delete("notifications")
    sent = sum(fan_out.apply(args=("notifications.deliver_outbox", 300, minute, True), throw=True).result for minute in range(5))
    messages = [json.loads(m) for m in client.lrange("notifications", 0, -1)]
    client.delete("notifications")
    assert sent == 1 and [m["headers"]["_schema_name"] for m in messages if m["headers"]["task"] == "notifications.deliver_outbox"] == [world["A"].unit.schema_name]
    with unit_run(world["A"].unit):
        assert outbox_deliver_pending() == 1
    assert not OutboxPending.objects.exists()
    assert sum(fan_out.apply(args=("notifications.deliver_outbox", 300, minute, True), throw=True).result for minute in range(5)) == 0


def test_a_message_recorded_while_the_mark_is_cleared_keeps_its_unit_marked(world, django_db_blocker):
    """Two real transactions: one records a message and has not committed; the delivery that found
    nothing waiting clears the mark meanwhile. The clear waits for the recording to commit, sees its
    message, and leaves the mark: the sweep still visits the unit if the message's nudge is lost."""
    import threading

    from notifications.services import TOPIC_FAN_OUT, _pending_flag_clear, outbox_enqueue
    from tenants.models import OutboxPending

    unit = world["A"].unit
    recorded, commit, cleared = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def record():
        try:
            with unit_run(unit), transaction.atomic():
                outbox_enqueue(topic=TOPIC_FAN_OUT, payload={"notice_id": 0}, dedupe_key="race-of-the-mark")
                recorded.set()
                commit.wait(10)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            from django.db import connection
            connection.close()

    def clear():
        try:
            with unit_run(unit):
                _pending_flag_clear()
            cleared.set()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            from django.db import connection
            connection.close()

    with django_db_blocker.unblock():
        with unit_run(unit):
            assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
        OutboxPending.objects.get_or_create(unit_id=unit.pk)  # marked by an earlier message, since delivered
        recorder = threading.Thread(target=record)
        recorder.start()
        assert recorded.wait(10)
        clearer = threading.Thread(target=clear)
        clearer.start()
        clearer.join(1.5)
        waited = not cleared.is_set()  # the clear waits for the recording transaction
        commit.set()
        recorder.join(10)
        clearer.join(10)
        try:
            assert not errors, errors
            assert waited
            assert OutboxPending.objects.filter(unit_id=unit.pk).exists()
        finally:
            with unit_run(unit):
                assert outbox_deliver_pending() == 1  # delivered: now the mark goes
                OutboxMessage.objects.filter(dedupe_key="race-of-the-mark").delete()
            assert not OutboxPending.objects.filter(unit_id=unit.pk).exists()
