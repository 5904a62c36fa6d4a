"""Changes to a person's account that end their sessions and tokens everywhere."""
from __future__ import annotations

from django.db import transaction
from django.db.models import F

from .models import User


def credentials_revoke(*, user: User) -> None:
    """Every session (its hash includes the version) and every token (it carries the
    version) of the person stops working."""
    User.objects.filter(pk=user.pk).update(credential_version=F("credential_version") + 1)
    user.refresh_from_db(fields=["credential_version"])


@transaction.atomic
def user_suspend(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    credentials_revoke(user=user)


@transaction.atomic
def user_reactivate(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True


def check_unit_admin_login(*, login: str) -> str:
    """The first admin's username or mobile number, checked before the unit is made (a unit
    left without the admin it was meant to have is half-done work). Returns it trimmed."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from .models import phone_validator

    login = (login or "").strip()
    if not login:
        raise ValidationError({"admin": _("Give the first admin's username or mobile number.")})
    try:
        if login.isascii() and login.isdigit():
            phone_validator(login)
        elif not User.objects.filter(username=login).exists():
            User(username=login).clean_fields(exclude=[f.name for f in User._meta.fields if f.name != "username"])
    except ValidationError as exc:
        raise ValidationError({"admin": exc.messages}) from exc
    return login


@transaction.atomic
def unit_admin_grant(*, unit, login: str) -> tuple[User, str | None]:
    """Make the person with this username or mobile number an admin of the unit (a new unit's
    first admin). Someone without an account gets one, with a one-time password returned here
    once to hand over in person (and change once signed in); an existing account keeps its
    password (None)."""
    from django.utils.crypto import get_random_string

    from .models import UnitRole

    login = check_unit_admin_login(login=login)
    is_phone = login.isdigit()
    user = User.objects.filter(phone=login).first() if is_phone else User.objects.filter(username=login).first()
    if user is None and is_phone:
        user = User.objects.filter(username=login).first()
    password = None
    if user is None:
        password = get_random_string(12, "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789")
        user = User(username=login, full_name=login, phone=login if is_phone else None)
        user.set_password(password)
        user.password_is_temporary = True  # changed at first sign-in (the consoles ask for it)
        user.full_clean()
        user.save()
    UnitRole.objects.get_or_create(user=user, unit=unit, role=UnitRole.Role.UNIT_ADMIN)
    return user, password
