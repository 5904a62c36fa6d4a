"""Tasks and units: every task runs in the schema it was sent from.

tenant-schemas-celery stamps the sending connection's schema on every message and
switches to it before the task runs. `UnitTask` adds what it does not: a unit task
sent from the public schema fails loudly instead of silently running there, and a
unit that is being provisioned or migrated gets no task (it is retried later).
"""
import time
from enum import StrEnum

from celery import current_app, shared_task
from django.db import InterfaceError, OperationalError, transaction
from django_tenants.utils import tenant_context
from tenant_schemas_celery.task import TenantTask

from .models import FanOutMark, OutboxPending, Unit
from .scheduling import slot_offset


class Queue(StrEnum):
    """Named queues, so one kind of work cannot starve another (routes: settings.CELERY_TASK_ROUTES)."""

    DEFAULT = "default"  # each unit's own scheduled work
    COUNTY = "county"  # county-wide fan-out: one task per unit
    AGGREGATION = "aggregation"  # figures and roll-ups copied up
    NOTIFICATIONS = "notifications"  # outbox delivery, SMS


# Only these are worth retrying (a database restart, a dropped connection); a bug is not.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class TaskOutsideUnit(RuntimeError):
    """A unit task was about to run in the public schema."""


class UnitNotReady(RuntimeError):
    """The unit is provisioning, migrating or suspended."""


class UnitTask(TenantTask):
    abstract = True
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        from django.db import connection
        from django_tenants.utils import get_public_schema_name

        if connection.schema_name == get_public_schema_name():
            raise TaskOutsideUnit(f"{self.name} must be sent from a unit's schema, not the public schema")
        unit = getattr(connection, "tenant", None)
        status = getattr(unit, "status", None)
        if status is not None and status != "active":
            raise self.retry(exc=UnitNotReady(f"unit {connection.schema_name} is {status}"), countdown=60, max_retries=30)
        return super().__call__(*args, **kwargs)


class PlatformTask(TenantTask):
    """Runs in the public schema (fan-out, cross-unit roll-ups)."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True


@shared_task(base=PlatformTask, name="tenants.fan_out")
def fan_out(task_name: str, period: int, minute: int | None = None, outbox_pending_only: bool = False) -> int:
    """Beat fires this every minute for each periodic unit task: it sends `task_name` to the active
    units whose slot (stable, spread over the period) falls in this minute, each with a countdown
    under a minute — never near the broker's visibility timeout, past which Redis hands a waiting
    task over again. `outbox_pending_only`: only the units marked as having outbox messages waiting
    (OutboxPending), for the outbox sweep.

    The minutes sent are those after the last one sent (FanOutMark), up to the clock's: a minute
    beat missed (a restart, a fan-out expired in the queue) is caught up by the next, at most one
    period's worth; a second fan-out in a minute already sent (beat fired twice, a message
    delivered again) sends nothing. The mark moves in the transaction that holds it while sending,
    so only a fan-out that dies mid-send is sent again. `minute` given: just that minute, unmarked."""
    slots = max(1, period // 60)
    if minute is not None:
        return _units_send(task_name, period, {minute % slots}, outbox_pending_only)
    now = int(time.time() // 60)
    with transaction.atomic():
        FanOutMark.objects.get_or_create(task=task_name, defaults={"minute": now - 1})
        mark = FanOutMark.objects.select_for_update().get(task=task_name)
        if mark.minute >= now:
            return 0
        first = max(mark.minute + 1, now - slots + 1)  # a whole period reaches every unit once
        sent = _units_send(task_name, period, {m % slots for m in range(first, now + 1)}, outbox_pending_only)
        mark.minute = now
        mark.save(update_fields=["minute"])
    return sent


def _units_send(task_name: str, period: int, slot_minutes: set[int], outbox_pending_only: bool) -> int:
    slots = max(1, period // 60)
    sent = 0
    units = Unit.objects.filter(status=Unit.Status.ACTIVE)
    if outbox_pending_only:
        units = units.filter(pk__in=OutboxPending.objects.values("unit_id"))
    for unit in units.only("pk", "schema_name").order_by("pk"):
        offset = slot_offset(unit.schema_name, task_name, period)
        if (offset // 60) % slots not in slot_minutes:
            continue
        countdown = offset % 60
        with tenant_context(unit):  # stamps the unit's schema on the message
            current_app.send_task(task_name, countdown=countdown, expires=countdown + period)
        sent += 1
    return sent


@shared_task(base=PlatformTask, name="tenants.send_to_units", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def send_to_units(task_name: str, unit_ids: list[int], kwargs: dict | None = None) -> int:
    """County-wide work: send the unit task `task_name` to each of these units, from (and so
    to run in) that unit's schema. Units that are not active get nothing; the caller keeps
    track of them. Sending again is safe: unit tasks are idempotent."""
    sent = 0
    for unit in Unit.objects.filter(pk__in=unit_ids, status=Unit.Status.ACTIVE).order_by("pk"):
        with tenant_context(unit):
            current_app.send_task(task_name, kwargs=kwargs or {})
        sent += 1
    return sent
