"""Reads of the in-app inbox and of notices (current unit's schema)."""
from django.db import connection
from django.db.models import Count, QuerySet

from tenants.compiled import Paged, compiled
from tenants.organization.models import Member, Organization

from .models import Delivery, Notice, Notification, Preference

INBOX_COLUMNS = ("id", "title", "body", "created_at", "read_at")


def inbox_of(*, user_id: int | None) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user_id) if user_id else Notification.objects.none()


def _inbox(user_id, unread: bool | None) -> QuerySet[Notification]:
    messages = Notification.objects.filter(recipient_id=user_id)
    return messages if unread is None else messages.filter(read_at__isnull=unread)


# The inbox is opened on every phone: compiled, one read per shape (all, unread, read).
_INBOX_READS = {
    unread: (compiled(user_id=int)(lambda *, user_id, unread=unread: _inbox(user_id, unread).order_by("-created_at", "-id").values(*INBOX_COLUMNS)),
             compiled(user_id=int)(lambda *, user_id, unread=unread: _inbox(user_id, unread).order_by().values_list("pk")))
    for unread in (None, True, False)
}


def inbox_rows(*, user_id: int | None, unread: bool | None = None) -> Paged | list:
    """The caller's messages, newest first (INBOX_COLUMNS), to be read a page at a time;
    `unread` True for the unread ones, False for the read ones."""
    if not user_id:
        return []
    return Paged(*_INBOX_READS[unread], user_id=user_id)


@compiled(user_id=int)
def _unread_count(*, user_id):
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).order_by().values_list("pk")


def inbox_unread_count(*, user_id: int | None) -> int:
    return _unread_count.count(user_id=user_id) if user_id else 0


def notices_visible(caller) -> QuerySet[Notice]:
    """Announcements and reminders sent in this unit: all of them for unit admins and those looking
    in from above, their own for secretaries. Events (system messages) are only in inboxes."""
    notices = Notice.objects.exclude(kind=Notice.Kind.EVENT)
    if caller.sees_everything:
        return notices
    return notices.filter(sender_id=caller.user_id) if caller.user_id else notices.none()


def notice_counts(notice: Notice) -> dict:
    """Delivery and read counts of a notice in this unit, as a whole, per organisation (the
    recipient's branch; people who are not members, such as unit admins, under none) and per
    outside channel. Three statements, whatever the number of recipients."""
    inbox, member, organisation = Notification._meta.db_table, Member._meta.db_table, Organization._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT o.id, o.name, count(*), count(n.read_at)
            FROM {inbox} n
            LEFT JOIN {member} m ON m.user_id = n.recipient_id AND m.status IN ('active', 'mobile')
            LEFT JOIN {organisation} o ON o.id = m.branch_id
            WHERE n.notice_id = %s GROUP BY o.id, o.name, o.sort_order ORDER BY o.sort_order NULLS LAST, o.name NULLS LAST""",
            [notice.pk],
        )
        by_organisation = [{"id": pk, "name": name or "", "delivered": delivered, "read": read} for pk, name, delivered, read in cursor.fetchall()]
    channels: dict[str, dict] = {}
    for channel, status, n in Delivery.objects.filter(notice=notice).order_by().values_list("channel", "status").annotate(n=Count("pk")):
        channels.setdefault(channel, {"channel": channel, **{s: 0 for s in Delivery.Status.values}})[status] = n
    delivered = sum(row["delivered"] for row in by_organisation)
    read = sum(row["read"] for row in by_organisation)
    return {
        "recipients": notice.recipients, "delivered": delivered, "read": read, "unread": delivered - read,
        "fanned_out_at": notice.fanned_out_at, "by_organisation": by_organisation, "by_channel": sorted(channels.values(), key=lambda c: c["channel"]),
    }


def preference_of(*, user_id: int) -> Preference:
    return Preference.objects.filter(user_id=user_id).first() or Preference(user_id=user_id)
