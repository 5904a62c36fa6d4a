"""Reads of the in-app inbox (current unit's schema)."""
from django.db.models import QuerySet

from .models import Notification


def inbox_of(*, user_id: int | None) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user_id) if user_id else Notification.objects.none()
