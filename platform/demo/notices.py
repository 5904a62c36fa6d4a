"""Demo notices: 红星县's notice to all its units, delivered and partly read, and 红星镇's own notice to a
branch, so the county console's notices page and the inboxes have something to show. Idempotent."""
from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from notifications.models import Notice, Notification
from notifications.services import notice_send, outbox_deliver_pending
from oversight.models import CountyNotice
from oversight.notices import counts_push, county_notice_carry, county_notice_send
from tenants.organization.caller import caller_for
from tenants.organization.models import Organization
from tenants.services import unit_run

COUNTY_TITLE = "关于开展年度党员公开承诺践诺评诺工作的通知"


def demo_notices_seed(*, county_admin, units, unit_admin_of: dict) -> int | None:
    """None when already seeded; else the number of people the county's notice reached."""
    if CountyNotice.objects.filter(title=COUNTY_TITLE).exists():
        return None
    with transaction.atomic():
        county = county_notice_send(user=county_admin, title=COUNTY_TITLE, channels=["sms"],
                                    body="各单位：请于本月底前完成承诺公示，并按月记录践诺情况。县委组织部将适时开展督查。")
    reached = 0
    for n, unit in enumerate(units):
        with unit_run(unit):
            # What each unit's task does when a worker runs (and running it again later adds nothing).
            notice = county_notice_carry(county_notice_id=county.pk)
            outbox_deliver_pending()
            notice.refresh_from_db()
            reached += notice.recipients
            # Some have read it already: more in the units further along.
            unread = list(Notification.objects.filter(notice=notice, read_at__isnull=True).order_by("pk").values_list("pk", flat=True))
            Notification.objects.filter(pk__in=unread[: len(unread) * (3 + n) // 8]).update(read_at=timezone.now())
            counts_push(notice)
            if unit.slug in unit_admin_of:
                branch = Organization.objects.filter(kind=Organization.Kind.BRANCH).order_by("sort_order", "pk").first()
                if branch is not None and not Notice.objects.filter(title="本周五下午支部集中学习").exists():
                    notice_send(who=caller_for(user_id=unit_admin_of[unit.slug].pk, is_unit_admin=True), title="本周五下午支部集中学习",
                                body="地点：党群服务中心二楼会议室。请带好学习笔记。", audience={"kind": "organisations", "organisations": [branch.pk]})
                    outbox_deliver_pending()
    connection.set_schema_to_public()
    return reached
