"""The delivery guarantees under faults, with real Celery workers, Redis and PostgreSQL: a worker
killed mid fan-out, a countdown that outlasts the broker's visibility timeout (the task runs twice),
and a notice committed while the broker is unreachable. Each recipient gets each notice once per channel."""
import os
import signal
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from notifications.models import Delivery, Notice, Notification, OutboxMessage
from notifications.services import _notice_record, notice_send
from oversight.models import CountyNotice
from oversight.notices import county_notice_send, notices_sweep
from tenants.organization.caller import caller_for
from tenants.services import unit_run
from tests.support.tasks import attempts_key
from tests.support.workers import broker_unreachable as _broker_unreachable, queue_remove, queued, start_worker, wait_for


def _stop(*workers):
    for worker in workers:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)


def _cleanup(world, key, titles):
    for k in "ABC":
        with unit_run(world[k].unit):
            Notice.objects.filter(title__in=titles).delete()
            OutboxMessage.objects.filter(payload__title__in=titles).delete()


@pytest.mark.worker
def test_a_worker_killed_mid_fan_out_leaves_nothing_half_done_and_the_next_delivers_once(world, django_db_blocker, brokers_in_turn):
    from tests.support.tasks import stalled_deliver_outbox

    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    key, queue, title = f"fan-{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex}", f"断电通知 {uuid.uuid4().hex[:6]}"
    A = world["A"]
    first = start_worker(queue)
    second = None
    try:
        with django_db_blocker.unblock(), unit_run(A.unit):
            notice = notice_send(who=caller_for(user_id=A.admin.pk, is_unit_admin=True), title=title, audience={"kind": "unit"})
            stalled_deliver_outbox.apply_async(args=(key, 60), queue=queue)
        assert wait_for(lambda: client.get(attempts_key(key)) == b"1", 60), "the first worker never started"
        time.sleep(2)  # inside the stall: the inbox rows are written, not committed
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        with django_db_blocker.unblock(), unit_run(A.unit):
            assert Notification.objects.filter(notice=notice).count() == 0  # nothing half done
        second = start_worker(queue)

        def delivered():
            with django_db_blocker.unblock(), unit_run(A.unit):
                return Notice.objects.get(pk=notice.pk).fanned_out_at is not None

        assert wait_for(delivered, 90), "the fan-out was not re-delivered after the worker died"
        with django_db_blocker.unblock(), unit_run(A.unit):
            assert sorted(Notification.objects.filter(notice=notice).values_list("recipient_id", flat=True)) == sorted(
                [A.secretary.pk, A.member.pk, A.other_member.pk])
        assert int(client.get(attempts_key(key))) == 2
    finally:
        _stop(first, second)
        with django_db_blocker.unblock():
            _cleanup(world, key, [title])
        client.delete(attempts_key(key))
        queue_remove(queue)


@pytest.mark.worker
def test_a_countdown_beyond_the_visibility_timeout_runs_twice_and_delivers_once_per_channel(world, django_db_blocker):
    """The workers here have a 3 s visibility timeout. A task due in 20 s is held unacknowledged by a
    worker, handed over again by Redis every few seconds before it runs (the Celery trap), and all the
    copies run at their time: each person still gets the notice once per channel."""
    import datetime

    import time_machine

    from tests.support.tasks import counted_deliver_outbox

    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    key, queue, title = f"eta-{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex}", f"定时通知 {uuid.uuid4().hex[:6]}"
    A = world["A"]
    workers = [start_worker(queue), start_worker(queue)]
    try:
        with django_db_blocker.unblock(), unit_run(A.unit):
            notice = _notice_record(kind=Notice.Kind.ANNOUNCEMENT, title=title, audience={"kind": "unit"}, channels=["sms"])
            # The suite's clock is frozen in the past: the due time is taken from the real clock, which the workers keep.
            eta = datetime.datetime.fromtimestamp(time_machine.escape_hatch.time.time() + 20, tz=datetime.timezone.utc)
            counted_deliver_outbox.apply_async(args=(key,), queue=queue, eta=eta)
        assert wait_for(lambda: int(client.get(attempts_key(key)) or 0) >= 2, 60), "the task was not delivered twice"
        time.sleep(2)
        with django_db_blocker.unblock(), unit_run(A.unit):
            people = [A.secretary.pk, A.member.pk, A.other_member.pk]
            assert sorted(Notification.objects.filter(notice=notice).values_list("recipient_id", flat=True)) == sorted(people)
            assert sorted(Delivery.objects.filter(notice=notice, channel="sms").values_list("recipient_id", flat=True)) == sorted(people)
            assert set(Delivery.objects.filter(notice=notice).values_list("status", flat=True)) == {"sent"}
    finally:
        _stop(*workers)
        with django_db_blocker.unblock():
            _cleanup(world, key, [title])
        client.delete(attempts_key(key))
        queue_remove(queue)


@pytest.mark.worker
def test_a_notice_committed_while_the_broker_is_down_goes_out_once_it_is_back(world, django_db_blocker, brokers_in_turn):
    from jiannuo.celery import app

    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    title = f"断网通知 {uuid.uuid4().hex[:6]}"
    A = world["A"]
    county_notice = None
    restore = _broker_unreachable(app)
    try:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            with transaction.atomic():  # the county's send: committed although the broker cannot be reached
                county_notice = county_notice_send(user=world.county_admin_k1, title=title)
            assert set(county_notice.units.values_list("sent_at", flat=True)) == {None}
            with unit_run(A.unit), transaction.atomic():  # a unit's own notice: its nudge is lost too
                notice = notice_send(who=caller_for(user_id=A.admin.pk, is_unit_admin=True), title=title, audience={"kind": "unit"})
            with unit_run(A.unit):
                assert OutboxMessage.objects.get(dedupe_key=f"notice:{notice.pk}").delivered_at is None
    finally:
        restore()
    try:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            queued("county")  # whatever an earlier test left
            assert notices_sweep() == 2  # broker back: both units' parts handed over
            sent = [h["task"] for h in queued("county")]
            assert sent == ["tenants.send_to_units"]  # one task for the units, not one per person
            assert set(county_notice.units.values_list("sent_at", flat=True)) != {None}
            with unit_run(A.unit):
                from notifications.services import outbox_deliver_pending

                outbox_deliver_pending()  # the unit's periodic sweep
                assert Notification.objects.filter(notice=notice).count() == 3
    finally:
        with django_db_blocker.unblock():
            _cleanup(world, None, [title])
            connection.set_schema_to_public()
            if county_notice is not None:
                CountyNotice.objects.filter(pk=county_notice.pk).delete()


@pytest.mark.worker
def test_a_county_notice_end_to_end_with_a_real_worker_and_reads_back_within_seconds(world, django_db_blocker, brokers_in_turn):
    """Sent by the county, carried and fanned out by real unit tasks, each unit's counts pushed up; a
    member's read reaches the county's counts a few seconds later (the debounced task)."""
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_issue

    title = f"真实队列通知 {uuid.uuid4().hex[:6]}"
    worker = start_worker("county,notifications,aggregation")
    county_notice = None
    try:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            with transaction.atomic():
                county_notice = county_notice_send(user=world.county_admin_k1, title=title)

            def delivered():
                connection.set_schema_to_public()
                return set(county_notice.units.values_list("status", flat=True)) == {"delivered"}

            assert wait_for(delivered, 90), list(county_notice.units.values_list("unit__slug", "status"))
            assert sorted(county_notice.units.values_list("delivered", flat=True)) == [3, 3]
            with unit_run(world["C"].unit):
                assert not Notice.objects.filter(title=title).exists()  # another county's unit
            A = world["A"]
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=A.member).access_token}")
            [message] = [n for n in client.get("/api/v1/u/unit-a/notifications/").json()["results"] if n["title"] == title]
            client.post(f"/api/v1/u/unit-a/notifications/{message['id']}/read/")
            connection.set_schema_to_public()

            def read_counted():
                connection.set_schema_to_public()
                return county_notice.units.get(unit=A.unit).read == 1

            assert wait_for(read_counted, 30), "the read did not reach the county's counts"
    finally:
        _stop(worker)
        with django_db_blocker.unblock():
            _cleanup(world, None, [title])
            connection.set_schema_to_public()
            if county_notice is not None:
                CountyNotice.objects.filter(pk=county_notice.pk).delete()
