from celery import shared_task

from audit.context import acting
from tenants.tasks import UnitTask

from .cadence import cadence_run


@shared_task(base=UnitTask, name="pledges.run_cadence")
def run_cadence() -> dict:
    """The unit's supervision jobs due today (overdue, reminders, summaries, bulletins). Idempotent."""
    with acting(source="cadence"):
        return cadence_run()
