"""Two factors (TOTP, django-otp) for the people who see or change many members' data.

Required for platform operators and jurisdiction (county, city, province) admins; for
unit admins optional until `JIANNUO_2FA_UNIT_ADMINS = "required"`. Anyone may turn it
on. Ten single-use recovery codes stand in for a lost phone; an operator can remove a
person's devices in the platform console when both are lost.
"""
from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import JurisdictionRole, UnitRole

RECOVERY_CODES = 10
RECOVERY_DEVICE = "recovery"


def two_factor_required(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff or JurisdictionRole.objects.filter(user=user).exists():
        return True
    return settings.JIANNUO_2FA_UNIT_ADMINS == "required" and UnitRole.objects.filter(user=user, role=UnitRole.Role.UNIT_ADMIN).exists()


def two_factor_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_start(*, user) -> TOTPDevice:
    """A fresh, unconfirmed authenticator key; it counts only once a code from it is confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_enrolment_pending(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def totp_secret(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def totp_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4)


@transaction.atomic
def totp_enrolment_confirm(*, user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirms the key with a code from the app; returns new recovery codes, or None for a wrong code."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(_digits(token)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()  # the new phone replaces the old
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_regenerate(user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_verify(*, user, token: str):
    """The device that accepts the code (a TOTP code, or a recovery code, used up), or None."""
    token = (token or "").strip().replace(" ", "").replace("-", "").lower()
    if not token or len(token) > 16:
        return None
    return match_token(user, token)


@transaction.atomic
def two_factor_remove(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _digits(token: str) -> str:
    return "".join(ch for ch in (token or "") if ch.isdigit())[:10]
