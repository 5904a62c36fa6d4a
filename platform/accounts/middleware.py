"""Rules for console (session) sign-ins: they end after a while idle, and people who
need two-step verification get nowhere until they have passed it (or set it up)."""
from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from tenants.api.errors import error_response

from .two_factor import two_factor_enabled, two_factor_required

LAST_SEEN = "jiannuo_last_seen"
SIGNED_IN_AT = "jiannuo_signed_in_at"
# Writing the session on every request would cost a write per click; a minute's slack does not matter.
_TOUCH_EVERY = 60
_OPEN_PATHS = ("/accounts/", "/i18n/", "/static/", "/healthz", "/api/v1/auth/logout/")


def _always_open(path: str) -> bool:
    return path.startswith(_OPEN_PATHS) or path.endswith("/admin/logout/")


def _has_session(request) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def session_activity_start(sender, request, user, **kwargs) -> None:
    """On every sign-in (connected in AccountsConfig.ready): the idle clock starts now."""
    if hasattr(request, "session") and SESSION_KEY in request.session:  # token sign-ins have no session
        request.session[LAST_SEEN] = request.session[SIGNED_IN_AT] = time.time()


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_session(request) and request.user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            # Idle too long, or signed in longer than a working day however busy (the cookie's age slides).
            started = request.session.get(SIGNED_IN_AT)
            idle = last is not None and now - last > settings.JIANNUO_SESSION_IDLE.total_seconds()
            if idle or (started is not None and now - started > settings.SESSION_COOKIE_AGE):
                logout(request)
                message = _("You were signed out after %(minutes)d minutes without activity. Please sign in again.") % {
                    "minutes": int(settings.JIANNUO_SESSION_IDLE.total_seconds() // 60)} if idle else _("Please sign in again.")
                if request.path_info.startswith("/api/"):
                    return error_response(401, "session_expired", message, request=request)
                messages.info(request, message)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if last is None or now - last > _TOUCH_EVERY:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_session(request) and not _always_open(request.path_info):
            user = request.user
            if user.is_authenticated and not user.is_verified() and (two_factor_enabled(user) or two_factor_required(user)):
                if two_factor_enabled(user):
                    logout(request)  # a session from before the second factor: sign in again, with it
                    target = settings.LOGIN_URL + "?next=" + request.get_full_path()
                else:
                    target = "/accounts/two-factor/?next=" + request.get_full_path()
                if request.path_info.startswith("/api/"):
                    return error_response(403, "two_factor_required", _("Two-step verification is required first: %(url)s") % {"url": target}, request=request)
                return HttpResponseRedirect(target)
        return self.get_response(request)
