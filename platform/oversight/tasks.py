from celery import shared_task

from tenants.tasks import TRANSIENT_ERRORS, UnitTask

from .services import campaign_launch_in_unit, unit_figures_refresh


@shared_task(base=UnitTask, name="oversight.refresh_unit_figures", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def refresh_unit_figures() -> None:
    unit_figures_refresh()


@shared_task(base=UnitTask, name="oversight.launch_campaign", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=8)
def launch_campaign(campaign_id: int) -> str:
    """This unit's part of a county campaign: open its round (once), tell its admins."""
    return campaign_launch_in_unit(campaign_id=campaign_id).status
