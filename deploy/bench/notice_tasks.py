"""The naive fan-out the notices benchmark compares with: one task per recipient (loaded by its worker)."""
import redis
from celery import shared_task
from django.conf import settings

from notifications.models import Notification
from tenants.tasks import UnitTask

COUNTER = "jiannuo-bench:naive-rows"


@shared_task(base=UnitTask, name="bench.naive_inbox_row")
def naive_inbox_row(notice_id: int, user_id: int) -> None:
    Notification.objects.get_or_create(notice_id=notice_id, recipient_id=user_id, defaults={"title": "逐人任务基线"})
    redis.Redis.from_url(settings.CELERY_BROKER_URL).incr(COUNTER)
