from celery import shared_task

from notifications.models import Notice
from notifications.services import outbox_deliver_pending
from tenants.tasks import TRANSIENT_ERRORS, PlatformTask, UnitTask

from . import notices
from .services import campaign_launch_in_unit, unit_figures_refresh


@shared_task(base=UnitTask, name="oversight.refresh_unit_figures", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def refresh_unit_figures() -> None:
    unit_figures_refresh()


@shared_task(base=UnitTask, name="oversight.launch_campaign", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=8)
def launch_campaign(campaign_id: int) -> str:
    """This unit's part of a county campaign: open its round (once), tell its admins."""
    return campaign_launch_in_unit(campaign_id=campaign_id).status


@shared_task(base=UnitTask, name="oversight.carry_notice", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=8)
def carry_notice(county_notice_id: int) -> int:
    """This unit's part of a county notice: record it here (once) and fan it out through the unit's
    outbox at once, in this task (the outbox's own nudge then finds nothing left to do)."""
    notice = notices.county_notice_carry(county_notice_id=county_notice_id)
    outbox_deliver_pending()
    return notice.pk


@shared_task(base=UnitTask, name="oversight.remind_notice", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=8)
def remind_notice(county_notice_id: int, number: int) -> int | None:
    reminder = notices.county_notice_remind_in_unit(county_notice_id=county_notice_id, number=number)
    return reminder.pk if reminder else None


@shared_task(base=UnitTask, name="oversight.push_notice_counts", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def push_notice_counts(notice_id: int) -> None:
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is not None:
        notices.counts_push(notice)


@shared_task(base=PlatformTask, name="oversight.notices_sweep", autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def notices_sweep() -> int:
    """County notices a broker outage left pending: sent again to their units."""
    return notices.notices_sweep()
