"""Reads of the in-app inbox (current unit's schema)."""
from django.db.models import QuerySet

from tenants.compiled import Paged, compiled

from .models import Notification

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
