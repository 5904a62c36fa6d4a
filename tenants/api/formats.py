"""Values formatted as the API's serializers format them, for the fast read paths that build
their rows by hand (pledges.api.rows, the inbox). tests/pledges/test_rows.py and the inbox
tests compare the two."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from django.utils import timezone


def datetimes() -> Callable[[datetime | None], str | None]:
    """A formatter of datetimes as DateTimeField formats them (ISO 8601 in the current time
    zone, UTC as Z), with the zone looked up once per response rather than per value: DRF's
    lookup per value was the largest cost of a page of pledges."""
    tz = timezone.get_current_timezone()

    def dt(value):
        if value is None:
            return None
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return dt


def iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
