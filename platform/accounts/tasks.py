from celery import shared_task

from tenants.tasks import PlatformTask

from .sms import sms_send


@shared_task(base=PlatformTask, name="accounts.send_sms", autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def send_sms(*, phone: str, text: str) -> None:
    """Send one text message through the configured provider; network trouble is retried."""
    sms_send(phone=phone, text=text)
