"""Tenant-aware Celery on the real Redis broker: a task runs in the schema it was sent
from, never silently in public; periodic unit work is spread; a killed worker's task
is re-delivered and its effect happens once."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection

from tenants.tasks import TaskOutsideUnit
from notifications.models import OutboxMessage
from oversight.models import UnitFigures
from oversight.tasks import refresh_unit_figures
from tenants.models import Unit
from tenants.scheduling import slot_offset
from tenants.services import unit_run
from tenants.tasks import fan_out

from tests.support.workers import queue_remove, queued, start_worker as _start_worker, wait_for as _wait


def test_task_runs_in_the_schema_it_was_sent_from(world, db):
    UnitFigures.objects.all().delete()  # (units open with figures: start from none)
    with unit_run(world["B"].unit):
        refresh_unit_figures.apply(throw=True)
    figures = UnitFigures.objects.get(unit=world["B"].unit)
    assert figures.members == 3 and figures.branches == 2
    assert not UnitFigures.objects.filter(unit=world["A"].unit).exists()


def test_unit_task_sent_from_public_schema_fails_loudly(world, db):
    assert connection.schema_name == "public"
    UnitFigures.objects.all().delete()
    with pytest.raises(TaskOutsideUnit):
        refresh_unit_figures.apply(throw=True)
    assert not UnitFigures.objects.exists()


def test_message_carries_the_sending_schema(world, db):
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    queue = f"test-{uuid.uuid4().hex}"
    with unit_run(world["C"].unit):
        refresh_unit_figures.apply_async(queue=queue)
    message = json.loads(client.lpop(queue))
    assert message["headers"]["_schema_name"] == world["C"].unit.schema_name


def test_fan_out_reaches_each_active_unit_once_a_period_in_its_own_minute(world, db, brokers_in_turn):
    """Beat fires the fan-out every minute; over the period's minutes each active unit is sent the task
    exactly once, in the minute its slot falls in, with a countdown under a minute (never near the
    broker's visibility timeout)."""
    from django.utils import timezone

    Unit.objects.filter(pk=world["C"].unit.pk).update(status=Unit.Status.MIGRATING)
    queue = "aggregation"  # the figures' named queue (settings.CELERY_TASK_ROUTES)
    queued(queue)  # start from an empty queue
    task, period, start = "oversight.refresh_unit_figures", 1800, 29_000_000  # a minute since the epoch
    sent_in = {}
    for minute in range(start, start + period // 60):
        before = timezone.now()
        sent = fan_out.apply(args=(task, period, minute), throw=True).result
        messages = [headers for headers in queued(queue) if headers["task"] == task]
        assert len(messages) == sent
        for headers in messages:
            sent_in.setdefault(headers["_schema_name"], []).append(minute)
            eta = datetime.fromisoformat(headers["eta"])
            assert timedelta(0) <= eta - before < timedelta(seconds=61) and headers["expires"]
    assert sorted(sent_in) == [world["A"].unit.schema_name, world["B"].unit.schema_name]  # the migrating unit gets nothing
    for schema, minutes in sent_in.items():
        [minute] = minutes  # once a period
        assert minute % 30 == slot_offset(schema, task, period) // 60  # in its own minute of the period


def _fan_out_by_the_clock(task: str, period: int, minute: int) -> list[str]:
    """What beat's fan-out does when it runs in `minute` (no minute given: the clock's): the schemas sent to."""
    with time_machine.travel(minute * 60 + 7, tick=False):
        fan_out.apply(args=(task, period), throw=True)
    return [headers["_schema_name"] for headers in queued("aggregation") if headers["task"] == task]


def test_fan_out_by_the_clock_catches_up_the_minutes_beat_missed_and_sends_no_minute_twice(world, db):
    task, period = "oversight.refresh_unit_figures", 1800
    queued("aggregation")  # start from an empty queue
    start = 29_000_000 - 29_000_000 % 30  # the first minute of a period
    _fan_out_by_the_clock(task, period, start - 1)  # the fan-out's mark, just before the period
    schemas = [world[key].unit.schema_name for key in ("A", "B", "C")]
    slot_minutes = {slot_offset(schema, task, period) // 60 for schema in schemas}
    missed = slot_minutes - {29}  # beat misses the minutes the units' slots fall in (the last is caught up by the next period)
    assert missed  # (otherwise the test would show no catching up)
    sent = []
    for minute in range(start, start + 30):
        if minute % 30 in missed:
            continue  # beat was down that minute, or its fan-out expired in the queue
        sent += _fan_out_by_the_clock(task, period, minute)
        sent += _fan_out_by_the_clock(task, period, minute)  # fired twice (or delivered again): nothing more
    assert sorted(sent) == sorted(schemas)  # each unit exactly once in the period


def test_after_an_outage_longer_than_a_period_each_unit_is_sent_once(world, db):
    task, period = "oversight.refresh_unit_figures", 1800
    queued("aggregation")
    _fan_out_by_the_clock(task, period, 29_000_000)
    sent = _fan_out_by_the_clock(task, period, 29_000_000 + 500)  # beat down for over eight hours
    assert sorted(sent) == sorted(world[key].unit.schema_name for key in ("A", "B", "C"))


def test_beat_fires_the_fan_outs_at_the_start_of_every_minute_by_the_clock():
    from celery.schedules import crontab

    from tenants.scheduling import UNIT_SCHEDULES, beat_schedule

    entries = [entry for entry in beat_schedule().values() if entry["task"] == "tenants.fan_out"]
    assert len(entries) == len(UNIT_SCHEDULES)
    for entry in entries:
        assert isinstance(entry["schedule"], crontab)  # an interval would drift across minute boundaries
        assert entry["schedule"].minute == set(range(60)) and entry["schedule"].hour == set(range(24))


@pytest.mark.worker
def test_task_killed_mid_run_is_redelivered_and_takes_effect_once(world, django_db_blocker, brokers_in_turn):
    from tests.support.tasks import attempts_key, slow_notify

    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    key, queue = f"kill-{uuid.uuid4().hex[:8]}", f"test-{uuid.uuid4().hex}"
    unit = world["C"].unit
    first = _start_worker(queue)
    second = None
    try:
        with django_db_blocker.unblock(), unit_run(unit):
            slow_notify.apply_async(args=(key, world["C"].member.pk, 30), queue=queue)
        assert _wait(lambda: client.get(attempts_key(key)) == b"1", 60), "the first worker never started the task"
        os.killpg(first.pid, signal.SIGKILL)  # mid-run: the message was never acknowledged
        first.wait(10)
        second = _start_worker(queue)

        def delivered():
            with django_db_blocker.unblock(), unit_run(unit):
                return OutboxMessage.objects.filter(dedupe_key=key).exists()

        assert _wait(delivered, 90), "the task was not re-delivered after the worker died"
        time.sleep(1)
        with django_db_blocker.unblock(), unit_run(unit):
            assert OutboxMessage.objects.filter(dedupe_key=key).count() == 1
        assert int(client.get(attempts_key(key))) == 2
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(20)
        client.delete(attempts_key(key))
        queue_remove(queue)


def test_every_task_has_a_named_queue_and_retries_only_transient_errors():
    from jiannuo.celery import app
    from tenants.tasks import TRANSIENT_ERRORS, Queue

    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.split(".")[0] in {"tenants", "accounts", "notifications", "pledges", "oversight"}}
    assert {"tenants.fan_out", "tenants.send_to_units", "oversight.launch_campaign", "notifications.deliver_outbox", "pledges.run_cadence"} <= set(ours)
    for name, task in ours.items():
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue in set(Queue), (name, queue)
        assert set(getattr(task, "autoretry_for", ())) <= set(TRANSIENT_ERRORS), name
        assert task.acks_late and task.reject_on_worker_lost, name
    assert app.amqp.router.route({}, "oversight.launch_campaign")["queue"].name == Queue.COUNTY
    assert app.amqp.router.route({}, "accounts.send_sms")["queue"].name == Queue.NOTIFICATIONS
