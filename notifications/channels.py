"""The outside channels behind one provider interface.

`settings.JIANNUO_NOTICE_PROVIDERS` maps each channel (email, sms, wecom, dingtalk) to a provider
class (dotted path). The default for every channel is `LogProvider`, which writes the message to the
log `jiannuo.notices`: what the demo and a deployment without contracts use. The real ones:
`EmailProvider` (Django's mail backends), `SmsProvider` (the SMS provider of accounts.sms),
`WeComRobotProvider` and `DingTalkRobotProvider` (group robot webhooks).

A provider raises `TemporaryFailure` for what is worth retrying (a timeout, a rate limit, a 5xx) and
`PermanentFailure` for what is not (a refused address); anything else counts as temporary.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("jiannuo.notices")


class TemporaryFailure(Exception):
    """Worth trying again later."""


class PermanentFailure(Exception):
    """Trying again will not help (a refused address, a removed robot)."""


@dataclass(frozen=True)
class Message:
    to: str  # an e-mail address, a phone number, a webhook address
    title: str
    body: str
    key: str  # the delivery's id: a provider that de-duplicates can use it
    secret: str = ""  # a robot's signing secret


class Provider:
    def send(self, message: Message) -> None:
        raise NotImplementedError


class LogProvider(Provider):
    def send(self, message: Message) -> None:
        log.warning("Notice %s to %s: %s", message.key, message.to, message.title)


class EmailProvider(Provider):
    def send(self, message: Message) -> None:
        import smtplib

        from django.core.mail import send_mail

        try:
            send_mail(message.title, message.body or message.title, settings.DEFAULT_FROM_EMAIL, [message.to])
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(str(exc)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(str(exc)) from exc


class SmsProvider(Provider):
    def send(self, message: Message) -> None:
        from accounts.sms import sms_send

        sms_send(phone=message.to, text=f"{message.title} {message.body}".strip()[:300])


class _RobotProvider(Provider):
    timeout = 5

    def url(self, message: Message) -> str:
        return message.to

    def send(self, message: Message) -> None:
        text = f"{message.title}\n{message.body}".strip()
        data = json.dumps({"msgtype": "text", "text": {"content": text[:2000]}}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url(message), data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise TemporaryFailure(f"HTTP {exc.code}") from exc
            raise PermanentFailure(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TemporaryFailure(str(exc)) from exc
        code = answer.get("errcode", 0)
        if code:
            # Both robots answer errcode 45009 / 130101 when sending too fast.
            failure = TemporaryFailure if code in (45009, 130101, -1) else PermanentFailure
            raise failure(f"errcode {code}: {answer.get('errmsg', '')}"[:200])


class WeComRobotProvider(_RobotProvider):
    """企业微信 group robot: POST the text to the robot's webhook address."""


class DingTalkRobotProvider(_RobotProvider):
    """钉钉 group robot: the same, signed with the robot's secret when it has one."""

    def url(self, message: Message) -> str:
        if not message.secret:
            return message.to
        timestamp = str(int(time.time() * 1000))
        digest = hmac.new(message.secret.encode(), f"{timestamp}\n{message.secret}".encode(), hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        return f"{message.to}{'&' if '?' in message.to else '?'}timestamp={timestamp}&sign={sign}"


@cache
def _provider_class(path: str) -> type[Provider]:
    return import_string(path)


def provider_for(channel: str) -> Provider:
    return _provider_class(settings.JIANNUO_NOTICE_PROVIDERS[channel])()
