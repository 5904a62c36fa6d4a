from celery import shared_task

from tenants.tasks import UnitTask

from .services import unit_figures_refresh


@shared_task(base=UnitTask, name="oversight.refresh_unit_figures")
def refresh_unit_figures() -> None:
    unit_figures_refresh()
