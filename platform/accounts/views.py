"""Web sign-in for the consoles: password, then the second factor when the person has
one; setting up two-step verification; recovery codes. The mobile API signs in with
tokens (accounts.api) through the same checks (accounts.login)."""
from __future__ import annotations

import time

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from .login import LoginRefused, account_locked, locked_refusal, login_check, second_factor_check
from .services import credentials_revoke
from .models import User
from .two_factor import (
    recovery_codes_regenerate, totp_enrolment_confirm, totp_enrolment_pending, totp_enrolment_start, totp_qr_svg, totp_secret,
    two_factor_enabled, two_factor_remove, two_factor_required,
)

PENDING = "jiannuo_pending_login"
PENDING_SECONDS = 300


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


def _refused(request, template: str, refused: LoginRefused, context: dict):
    response = render(request, template, {**context, "error": refused.message}, status=refused.status if refused.status != 401 else 200)
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return response


def _field(request, name: str, limit: int) -> str:
    # What a form would refuse (NUL, oversized) never reaches the database: it cannot be a login.
    value = request.POST.get(name) or ""
    return "" if "\x00" in value or len(value) > limit else value


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_page(request):
    context = {"next": _next_url(request), "username": ""}
    if request.method != "POST":
        return render(request, "accounts/login.html", context)
    username = _field(request, "username", 150).strip()
    context["username"] = username
    try:
        user = login_check(request=request, login=username, password=_field(request, "password", 128))
    except LoginRefused as refused:
        return _refused(request, "accounts/login.html", refused, context)
    if two_factor_enabled(user):
        # Half signed in: the password was right; the session holds nobody until the code is.
        request.session.cycle_key()
        request.session[PENDING] = {"user": user.pk, "backend": user.backend, "at": time.time(), "next": context["next"]}
        return HttpResponseRedirect(f"{settings.LOGIN_URL}verify/")
    login(request, user)
    if two_factor_required(user):
        return HttpResponseRedirect("/accounts/two-factor/?next=" + context["next"])
    return HttpResponseRedirect(context["next"])


@sensitive_post_parameters("otp")
@csrf_protect
@never_cache
def login_verify_page(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, _("Please sign in again."))
        return HttpResponseRedirect(settings.LOGIN_URL)
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return HttpResponseRedirect(settings.LOGIN_URL)
    if request.method != "POST":
        return render(request, "accounts/login_verify.html", {})
    try:
        if account_locked(request=request, user=user):  # locked since the password step
            raise locked_refusal()
        device = second_factor_check(request=request, user=user, otp=_field(request, "otp", 20))
    except LoginRefused as refused:
        if refused.code == "account_locked":
            request.session.pop(PENDING, None)
        return _refused(request, "accounts/login_verify.html", refused, {})
    request.session.pop(PENDING, None)
    if device is None:  # the second factor was removed meanwhile: start again
        return HttpResponseRedirect(settings.LOGIN_URL)
    user.backend = pending["backend"]
    login(request, user)
    django_otp.login(request, device)
    return HttpResponseRedirect(pending["next"])


@login_required
@csrf_protect
@never_cache
def two_factor_page(request):
    user = request.user
    if two_factor_enabled(user) and not user.is_verified():
        # A session that never showed the second factor (e.g. from before it was turned on)
        # must not manage it: replacing the authenticator would hand the account over.
        logout(request)
        return HttpResponseRedirect(settings.LOGIN_URL + "?next=/accounts/two-factor/")
    context = {"required": two_factor_required(user), "next": _next_url(request)}
    if request.method == "POST" and request.POST.get("action") == "confirm":
        device = totp_enrolment_pending(user=user)
        codes = totp_enrolment_confirm(user=user, device=device, token=_field(request, "otp", 20)) if device else None
        if codes is None:
            context["error"] = _("That code is not correct. Check the time on your phone and enter the newest code.")
        else:
            # Every other session of the person ends: none of them showed this factor.
            credentials_revoke(user=user)
            update_session_auth_hash(request, user)
            django_otp.login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": context["next"]})
    elif request.method == "POST" and request.POST.get("action") == "recovery-codes" and user.is_verified():
        return render(request, "accounts/recovery_codes.html", {"codes": recovery_codes_regenerate(user=user), "next": context["next"]})
    elif request.method == "POST" and request.POST.get("action") == "remove" and user.is_verified() and not context["required"]:
        two_factor_remove(user=user)
        messages.success(request, _("Two-step verification is off."))
        return HttpResponseRedirect("/accounts/two-factor/")
    if two_factor_enabled(user) and user.is_verified():
        return render(request, "accounts/two_factor.html", {**context, "enabled": True})
    device = totp_enrolment_pending(user=user) if request.method == "POST" else None
    device = device or totp_enrolment_start(user=user)
    return render(request, "accounts/two_factor.html", {**context, "enabled": False, "qr": totp_qr_svg(device), "secret": totp_secret(device)})
