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
    attempt = redis.Redis.from_url(settings.CELERY_BROKER_URL).incr(attempts_key(key))
    if attempt == 1:
        time.sleep(delay)
    notify(recipient_ids=[recipient_id], title=f"probe {key}", dedupe_key=key)
