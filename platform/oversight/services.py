"""Jurisdiction tree writes and the upward copy of unit figures."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Jurisdiction, UnitFigures


def check_jurisdiction_placement(*, level: str, parent: Jurisdiction | None) -> None:
    expected = Jurisdiction.PARENT_LEVEL[Jurisdiction.Level(level)]
    if (parent.level if parent else None) != expected:
        raise ValidationError({"parent": _("A %(level)s must be placed under a %(parent)s.") % {
            "level": Jurisdiction.Level(level).label, "parent": Jurisdiction.Level(expected).label if expected else _("nothing"),
        }})


@transaction.atomic
def jurisdiction_create(*, name: str, code: str, level: str, parent: Jurisdiction | None = None) -> Jurisdiction:
    check_jurisdiction_placement(level=level, parent=parent)
    jurisdiction = Jurisdiction(name=name, code=code, level=level, parent=parent)
    jurisdiction.full_clean()
    jurisdiction.save()
    return jurisdiction


def unit_figures_refresh() -> UnitFigures:
    """Runs in a unit's schema; writes that unit's own row of the public figures table."""
    from tenants.organization.models import Member, Organization

    unit = connection.tenant
    members = Member.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=Member.Status.ACTIVE)),
        mobile=Count("id", filter=Q(status=Member.Status.MOBILE)),
    )
    figures, _created = UnitFigures.objects.update_or_create(
        unit_id=unit.pk,
        defaults={
            "members": members["total"],
            "active_members": members["active"],
            "mobile_members": members["mobile"],
            "branches": Organization.objects.filter(kind=Organization.Kind.BRANCH).count(),
            "refreshed_at": timezone.now(),
        },
    )
    return figures
