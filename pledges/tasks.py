from celery import shared_task

from audit.context import acting
from tenants.tasks import TRANSIENT_ERRORS, UnitTask

from .cadence import cadence_run


@shared_task(base=UnitTask, name="pledges.run_cadence", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def run_cadence() -> dict:
    """The unit's supervision jobs due today (overdue, reminders, summaries, bulletins). Idempotent."""
    with acting(source="cadence"):
        return cadence_run()
