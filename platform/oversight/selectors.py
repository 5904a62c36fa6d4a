"""Cross-unit reads, always limited to the caller's jurisdiction."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import JurisdictionRole
from tenants.models import Unit

from .models import Campaign, Jurisdiction


def jurisdictions_visible_to(user) -> QuerySet[Jurisdiction]:
    if user.is_superuser:
        return Jurisdiction.objects.all()
    roots = JurisdictionRole.objects.filter(user=user).values("jurisdiction_id")
    return Jurisdiction.objects.filter(
        Q(id__in=roots) | Q(parent_id__in=roots) | Q(parent__parent_id__in=roots)
    )


def units_overseen_by(user) -> QuerySet[Unit]:
    """Units below the user's jurisdictions (or all, for platform operators), with figures."""
    if user.is_superuser:
        units = Unit.objects.all()
    else:
        units = Unit.objects.filter(
            Q(county__roles__user=user) | Q(county__parent__roles__user=user) | Q(county__parent__parent__roles__user=user)
        )
    return units.select_related("county", "figures").distinct()


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(jurisdiction__in=jurisdictions_visible_to(user)).annotate(launched_count=Count("launches"))
