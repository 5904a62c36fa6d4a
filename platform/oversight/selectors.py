"""Cross-unit reads, always limited to the caller's jurisdiction."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.access import units_overseen_by as units_below_user
from accounts.models import JurisdictionRole
from tenants.hierarchy import jurisdictions_below
from tenants.models import Jurisdiction, Unit

from .models import Campaign, CampaignLaunch


def jurisdictions_visible_to(user) -> QuerySet[Jurisdiction]:
    if user.is_superuser:
        return Jurisdiction.objects.all()
    return jurisdictions_below(roots=JurisdictionRole.objects.filter(user=user).values("jurisdiction_id"))


def units_overseen_by(user) -> QuerySet[Unit]:
    """Units below the user's jurisdictions (or all, for platform operators), with figures."""
    return units_below_user(user).select_related("county", "figures")


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    launched = Count("launches", filter=Q(launches__status=CampaignLaunch.Status.LAUNCHED))
    return Campaign.objects.filter(jurisdiction__in=jurisdictions_visible_to(user)).annotate(launched_count=launched)


def campaign_launches(*, campaign: Campaign) -> QuerySet[CampaignLaunch]:
    return CampaignLaunch.objects.filter(campaign=campaign).select_related("unit").order_by("unit__name", "unit_id")
