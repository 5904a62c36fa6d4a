"""Tasks used only by the worker tests (loaded with `celery worker -I tests.support.tasks`)."""
import time

import redis
from celery import shared_task
from django.conf import settings

from tenants.tasks import UnitTask
from notifications.services import notify


def attempts_key(key: str) -> str:
    return f"jiannuo-test:attempts:{key}"


@shared_task(base=UnitTask, name="tests.slow_notify")
def slow_notify(key: str, recipient_id: int, delay: float) -> None:
    """Counts its attempts; the first one dawdles so the test can kill the worker mid-run."""
    attempt = redis.Redis.from_url(settings.TEST_REDIS_URL).incr(attempts_key(key))
    if attempt == 1:
        time.sleep(delay)
    notify(recipient_ids=[recipient_id], title=f"probe {key}", dedupe_key=key)


@shared_task(base=UnitTask, name="tests.stalled_apply_scores")
def stalled_apply_scores(key: str, evaluation_id: int, delay: float) -> int:
    """The real incremental aggregation, except that its first attempt stalls inside the
    transaction (tallies updated, nothing committed) so the test can kill the worker there."""
    from evaluations.tallies import scores_apply_pending, scores_changed

    attempt = redis.Redis.from_url(settings.TEST_REDIS_URL).incr(attempts_key(key))

    def stall(**_kwargs):
        time.sleep(delay)

    if attempt == 1:
        scores_changed.connect(stall, dispatch_uid=f"stall-{key}", weak=False)
    try:
        return scores_apply_pending(evaluation_id=evaluation_id)
    finally:
        scores_changed.disconnect(dispatch_uid=f"stall-{key}")


@shared_task(base=UnitTask, name="tests.stalled_deliver_outbox")
def stalled_deliver_outbox(key: str, delay: float) -> int:
    """The real outbox delivery (notices fanned out), except that its first attempt stalls inside the
    fan-out's transaction (inbox rows written, nothing committed) so the test can kill the worker there."""
    from notifications.services import notice_delivered, outbox_deliver_pending

    attempt = redis.Redis.from_url(settings.TEST_REDIS_URL).incr(attempts_key(key))

    def stall(**_kwargs):
        time.sleep(delay)

    if attempt == 1:
        notice_delivered.connect(stall, dispatch_uid=f"stall-{key}", weak=False)
    try:
        return outbox_deliver_pending()
    finally:
        notice_delivered.disconnect(dispatch_uid=f"stall-{key}")


@shared_task(base=UnitTask, name="tests.counted_deliver_outbox")
def counted_deliver_outbox(key: str) -> int:
    """The real outbox delivery, counting how many times the broker handed it over."""
    from notifications.services import deliveries_send_due, outbox_deliver_pending

    redis.Redis.from_url(settings.TEST_REDIS_URL).incr(attempts_key(key))
    return outbox_deliver_pending() + deliveries_send_due()


@shared_task(base=UnitTask, name="tests.database_role")
def database_role(key: str) -> None:
    """Writes the database role and schema the worker runs the task as, for the test to read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        role, schema = cursor.fetchone()
    redis.Redis.from_url(settings.TEST_REDIS_URL).set(attempts_key(key), f"{role} {schema}", ex=300)
