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
