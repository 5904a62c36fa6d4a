from celery import shared_task

from tenants.tasks import TRANSIENT_ERRORS, UnitTask

from .services import deliveries_send_due, outbox_deliver_pending


@shared_task(base=UnitTask, name="notifications.deliver_outbox", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def deliver_outbox() -> int:
    """Deliver this unit's pending outbox messages (notices fanned out among them). Idempotent;
    safe to re-run after a crash."""
    return outbox_deliver_pending()


@shared_task(base=UnitTask, name="notifications.send_deliveries", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def send_deliveries() -> int:
    """Send this unit's due e-mails, SMS and robot messages (and digests). Safe to run concurrently."""
    return deliveries_send_due()
