"""Text messages to a person's phone, behind a pluggable provider.

`JIANNUO_SMS_PROVIDER` names the class (dotted path). The default writes the message to
the server log, which is what a deployment without an SMS contract (and the demo) uses;
a real provider (Aliyun, Tencent Cloud, a carrier gateway) subclasses `SmsProvider`.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("jiannuo.sms")


class SmsProvider:
    def send(self, *, phone: str, text: str) -> None:
        raise NotImplementedError


class LogProvider(SmsProvider):
    """Writes each message to the log `jiannuo.sms` instead of sending it."""

    def send(self, *, phone: str, text: str) -> None:
        log.warning("SMS to %s: %s", phone, text)


class MemoryProvider(SmsProvider):
    """Keeps messages in a list: for tests, which read what a phone would have received."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> None:
        MemoryProvider.outbox.append((phone, text))


def sms_send(*, phone: str, text: str) -> None:
    import_string(settings.JIANNUO_SMS_PROVIDER)().send(phone=phone, text=text)


def sms_send_soon(*, phone: str, text: str) -> None:
    """Hand the message to a worker (accounts.send_sms), so a slow provider neither holds up the
    request nor shows, by the answer's speed, which numbers got a message. With
    `JIANNUO_SMS_INLINE` (tests) it is sent here."""
    if settings.JIANNUO_SMS_INLINE:
        sms_send(phone=phone, text=text)
        return
    from .tasks import send_sms

    send_sms.delay(phone=phone, text=text)


def phone_masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"
