"""Signing in, for the web consoles and the mobile API alike.

Guessing is stopped twice: per account by django-axes (after `AXES_FAILURE_LIMIT`
failures the account is locked for `AXES_COOLOFF_TIME`, or until an admin unlocks it),
and per client address (accounts.network) by a counter in Redis, high enough that a
township office behind one address is not locked out by its colleagues' typos.
"""
from __future__ import annotations

import copy
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.utils.translation import gettext as _

from .models import User
from .network import client_address
from .two_factor import second_factor_verify, two_factor_enabled, two_factor_required

_ADDRESS_FAILURES = "login-failures-from:"


class LoginRefused(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def _django_request(request):
    return getattr(request, "_request", request)


def login_key(request, credentials: dict | None) -> str:
    """What axes counts failures against: the account, however the person typed it
    (phone or username), so both spellings share one limit. Unknown logins count as typed.
    Same lookup order as the sign-in backend: a mobile number first, then a username."""
    login = str((credentials or {}).get("username") or "").strip()[:150]
    if not login or "\x00" in login:
        return ""
    # Axes asks several times per sign-in: look the account up once per request.
    known = _django_request(request).__dict__.setdefault("_jiannuo_login_keys", {}) if request is not None else {}
    if login not in known:
        user = User.objects.filter(phone=login).only("username").first() or User.objects.filter(username=login).only("username").first()
        known[login] = user.username if user is not None else login
    return known[login]


def account_locked(*, request, user: User) -> bool:
    return AxesProxyHandler.is_locked(_django_request(request), {"username": user.username})


def _cool_off_minutes() -> int:
    cool_off = get_cool_off()
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def locked_refusal() -> LoginRefused:
    minutes = _cool_off_minutes()
    return LoginRefused(
        429, "account_locked",
        _("Too many wrong passwords: this account is locked. Try again in %(minutes)d minutes, "
          "or ask your unit admin to unlock it.") % {"minutes": minutes},
        retry_after=minutes * 60,
    )


def _address_window() -> int:
    return int(settings.JIANNUO_ADDRESS_FAILURE_WINDOW.total_seconds())


def _address_blocked(address: str) -> bool:
    return (caches["security"].get(_ADDRESS_FAILURES + address) or 0) >= settings.JIANNUO_ADDRESS_FAILURE_LIMIT


def _address_failed(address: str) -> None:
    store, key = caches["security"], _ADDRESS_FAILURES + address
    if store.add(key, 1, timeout=_address_window()):
        return
    try:
        store.incr(key)
    except ValueError:  # expired between add and incr
        store.add(key, 1, timeout=_address_window())


def login_check(*, request, login: str, password: str) -> User:
    """The person behind the login and password, or LoginRefused (wrong, locked, too many guesses)."""
    request = _django_request(request)
    address = client_address(request)
    if _address_blocked(address):
        raise LoginRefused(429, "too_many_attempts", _("Too many failed sign-ins from your network. Try again later."),
                           retry_after=_address_window())
    user = authenticate(request=request, username=login, password=password)
    if user is not None:
        return user
    if getattr(request, "axes_locked_out", False):
        raise locked_refusal()
    _address_failed(address)
    raise LoginRefused(401, "invalid_credentials", _("The login or password is not correct."))


def second_factor_check(*, request, user: User, otp: str | None):
    """For sign-ins that must show a second factor: the device that accepted `otp`, or
    LoginRefused. None when the person has no second factor and needs none."""
    if not two_factor_enabled(user):
        if two_factor_required(user):
            raise LoginRefused(403, "two_factor_setup_required",
                               _("Your account needs two-step verification. Set it up in the web console first (sign in at /accounts/login/)."))
        return None
    if not otp:
        raise LoginRefused(401, "two_factor_required", _("Enter the 6-digit code from your authenticator app (or a recovery code)."))
    device = second_factor_verify(user=user, token=otp)
    if device is None:
        request = _django_request(request)
        # A wrong second factor counts against the account like a wrong password.
        user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=request)
        if getattr(request, "axes_locked_out", False):
            raise locked_refusal()
        raise LoginRefused(401, "two_factor_invalid", _("That code is not correct or has expired."))
    return device


def login_succeeded(*, request, user: User) -> None:
    """For sign-ins that do not go through django.contrib.auth.login (tokens): the same
    bookkeeping — last login, and axes forgets the account's failures."""
    request = copy.copy(_django_request(request))
    request.__dict__.pop("session", None)  # a token sign-in must not leave a browser session behind (axes would make one)
    user_logged_in.send(sender=user.__class__, request=request, user=user)


def account_unlock(*, user: User) -> None:
    """Forget failed sign-ins of an account (an admin's unlock). Axes counts them under the
    account's username (login_key), however the person typed their login."""
    axes_reset(username=user.username)


def failed_check_counted(*, request, user: User) -> None:
    """A wrong password somewhere other than sign-in (e.g. changing it) counts like one."""
    user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=_django_request(request))
