from celery import shared_task

from tenants.tasks import TRANSIENT_ERRORS, UnitTask

from .services import outbox_deliver_pending


@shared_task(base=UnitTask, name="notifications.deliver_outbox", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def deliver_outbox() -> int:
    """Deliver this unit's pending outbox messages. Idempotent; safe to re-run after a crash."""
    return outbox_deliver_pending()
