"""County admins' read-only view across the units of their jurisdiction."""
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluations.api.serializers import SchemeSerializer
from pledges.models import PHASE_FIELDS
from tenants.api.serializers import ModelSerializer
from tenants.models import Jurisdiction, Unit
from tenants.api.fields import Text

from ..models import Campaign, CampaignLaunch, UnitFigures
from ..selectors import (
    evaluation_figures,
    campaign_launches,
    campaigns_visible_to,
    jurisdictions_visible_to,
    units_overseen_by,
)
from ..services import campaign_create, campaign_launch


class JurisdictionSerializer(ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["id", "name", "code", "level", "parent"]


class OverseenUnitSerializer(ModelSerializer):
    county = Text(source="county.name")
    members = serializers.IntegerField(source="figures.members")
    active_members = serializers.IntegerField(source="figures.active_members")
    mobile_members = serializers.IntegerField(source="figures.mobile_members")
    branches = serializers.IntegerField(source="figures.branches")
    round_theme = Text(source="figures.round_theme", help_text="empty: no current round")
    round_phase = Text(source="figures.round_phase", help_text="empty: no current round")
    members_pledged = serializers.IntegerField(source="figures.members_pledged")
    pledge_items = serializers.IntegerField(source="figures.pledge_items")
    items_closed = serializers.IntegerField(source="figures.items_closed")
    items_overdue = serializers.IntegerField(source="figures.items_overdue")
    figures_refreshed_at = serializers.DateTimeField(source="figures.refreshed_at", allow_null=True, help_text="null: not computed yet")

    def to_representation(self, unit):
        try:
            unit.figures
        except UnitFigures.DoesNotExist:  # not computed yet (a unit opens with its figures): zeros
            unit.figures = UnitFigures(unit_id=unit.pk)
        return super().to_representation(unit)

    class Meta:
        model = Unit
        fields = [
            "slug", "name", "kind", "county", "status", "members", "active_members", "mobile_members", "branches",
            "round_theme", "round_phase", "members_pledged", "pledge_items", "items_closed", "items_overdue", "figures_refreshed_at",
        ]


@extend_schema_view(get=extend_schema(summary="我管辖的区域 / My jurisdictions"))
class JurisdictionList(generics.ListAPIView):
    serializer_class = JurisdictionSerializer
    queryset = Jurisdiction.objects.none()  # for the schema generator; requests use get_queryset
    pagination_class = None

    def get_queryset(self):
        return jurisdictions_visible_to(self.request.user).order_by("level", "name")


@extend_schema_view(get=extend_schema(summary="辖区内的单位及其数据 / Units in my jurisdiction, with their figures"))
class UnitList(generics.ListAPIView):
    serializer_class = OverseenUnitSerializer
    queryset = Unit.objects.none()  # for the schema generator; requests use get_queryset
    filterset_fields = ["kind", "status", "county__code"]
    search_fields = ["name", "slug"]

    def get_queryset(self):
        return units_overseen_by(self.request.user).order_by("county__name", "name")


@extend_schema_view(get=extend_schema(summary="单位数据 / A unit's figures"))
class UnitDetail(generics.RetrieveAPIView):
    serializer_class = OverseenUnitSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return units_overseen_by(self.request.user)


class RollupSerializer(serializers.Serializer):
    units = serializers.IntegerField()
    members = serializers.IntegerField()
    active_members = serializers.IntegerField()
    mobile_members = serializers.IntegerField()
    branches = serializers.IntegerField()
    members_pledged = serializers.IntegerField()
    pledge_items = serializers.IntegerField()
    items_closed = serializers.IntegerField()
    items_overdue = serializers.IntegerField()


@extend_schema_view(get=extend_schema(summary="辖区汇总 / Totals over my jurisdiction"))
class Rollup(APIView):
    """Totals over every unit the caller oversees (filter with ?county=<code>)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=RollupSerializer)
    def get(self, request):
        units = units_overseen_by(request.user)
        if request.query_params.get("county"):
            units = units.filter(county__code=request.query_params["county"])
        totals = Unit.objects.filter(pk__in=units.values("pk")).aggregate(
            members=Sum("figures__members"), active_members=Sum("figures__active_members"),
            mobile_members=Sum("figures__mobile_members"), branches=Sum("figures__branches"),
            members_pledged=Sum("figures__members_pledged"), pledge_items=Sum("figures__pledge_items"),
            items_closed=Sum("figures__items_closed"), items_overdue=Sum("figures__items_overdue"),
        )
        return Response({"units": units.count(), **{k: v or 0 for k, v in totals.items()}})


class CampaignSerializer(ModelSerializer):
    launched_units = serializers.SerializerMethodField()
    evaluation_scheme = SchemeSerializer(required=False, allow_null=True,
                                         help_text="the evaluation scheme every unit's round starts with (null: 004's defaults)")

    class Meta:
        model = Campaign
        fields = ["id", "jurisdiction", "year", "theme", *PHASE_FIELDS, "evaluation_scheme", "launched_units", "created_at"]
        read_only_fields = ["created_at"]

    def get_launched_units(self, campaign) -> int:
        return getattr(campaign, "launched_count", 0)

    def validate_jurisdiction(self, jurisdiction):
        if not jurisdictions_visible_to(self.context["request"].user).filter(pk=jurisdiction.pk).exists():
            raise serializers.ValidationError(_("You may launch campaigns only in your own jurisdiction."))
        return jurisdiction

    def validate_year(self, year):
        if not 2000 <= year <= 2100:
            raise serializers.ValidationError(_("Enter a year between 2000 and 2100."))
        return year


class UnitLaunchSerializer(serializers.Serializer):
    slug = Text(source="unit.slug")
    name = Text(source="unit.name")
    status = serializers.ChoiceField(choices=CampaignLaunch.Status.choices)
    round = serializers.IntegerField(source="round_id", allow_null=True)
    detail = Text()
    updated_at = serializers.DateTimeField()


class CampaignProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    theme = Text()
    done = serializers.BooleanField(help_text="No unit is waiting any more (each is launched, unavailable or failed)")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Units by status")
    units = UnitLaunchSerializer(many=True)


def _progress(campaign) -> dict:
    launches = list(campaign_launches(campaign=campaign))
    counts = {status: 0 for status in CampaignLaunch.Status.values}
    for launch in launches:
        counts[launch.status] += 1
    return CampaignProgressSerializer({
        "id": campaign.pk, "theme": campaign.theme, "done": counts[CampaignLaunch.Status.PENDING] == 0,
        "counts": counts, "units": launches,
    }).data


@extend_schema_view(get=extend_schema(summary="统一部署的承诺活动 / Campaigns"), post=extend_schema(summary="统一部署承诺活动 / Launch a campaign to every unit"))
class CampaignList(generics.ListCreateAPIView):
    """Campaigns of the caller's jurisdictions. Creating one gives every unit below its own
    round, unit by unit in the background: the answer (202) shows each unit's progress, and
    `GET campaigns/<id>/` follows it."""

    serializer_class = CampaignSerializer
    queryset = Campaign.objects.none()

    def get_queryset(self):
        return campaigns_visible_to(self.request.user).order_by("-created_at", "-id")

    @extend_schema(responses={202: CampaignProgressSerializer})
    def post(self, request):
        form = CampaignSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with transaction.atomic():
            campaign = campaign_create(jurisdiction=data["jurisdiction"], year=data["year"], theme=data["theme"],
                                       dates={k: data[k] for k in PHASE_FIELDS}, by=request.user,
                                       evaluation_scheme=data.get("evaluation_scheme"))
            campaign_launch(campaign=campaign)
        return Response(_progress(campaign), status=202, headers={"Location": f"/api/v1/oversight/campaigns/{campaign.pk}/"})


@extend_schema_view(get=extend_schema(summary="活动进展（逐个单位） / A campaign's progress, unit by unit"))
class CampaignDetail(APIView):
    """A campaign's progress, unit by unit."""

    @extend_schema(responses=CampaignProgressSerializer)
    def get(self, request, pk: int):
        return Response(_progress(get_object_or_404(campaigns_visible_to(request.user), pk=pk)))


@extend_schema_view(post=extend_schema(summary="对未开启的单位再次部署 / Launch again where it did not open"))
class CampaignLaunchAgain(APIView):
    """Launch again for units that were unavailable, failed, are still waiting, or are new since."""

    @extend_schema(request=None, responses={202: CampaignProgressSerializer})
    def post(self, request, pk: int):
        campaign = get_object_or_404(campaigns_visible_to(request.user), pk=pk)
        campaign_launch(campaign=campaign)
        return Response(_progress(campaign), status=202)


class EvaluationTotalsSerializer(serializers.Serializer):
    units = serializers.IntegerField(help_text="units whose figures have arrived")
    members = serializers.IntegerField()
    scored = serializers.IntegerField()
    mean_score = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True)
    grades = serializers.DictField(child=serializers.IntegerField(), help_text="members per final grade")
    satisfaction_rate = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True)
    close_out_rate = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, allow_null=True)
    fresh_as_of = serializers.DateTimeField(allow_null=True, help_text="the oldest unit's figures are this fresh")


class UnitEvaluationSerializer(EvaluationTotalsSerializer):
    slug = Text()
    name = Text()
    round_title = Text()


class EvaluationOverviewSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    totals = EvaluationTotalsSerializer()
    units = UnitEvaluationSerializer(many=True)


class EvaluationOverview(APIView):
    """The year's evaluation across the units the caller oversees, read from the figures the
    units push up with every ballot (never from their schemas), each with how fresh it is."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="辖区评诺汇总 / Evaluation figures across my jurisdiction",
                   parameters=[OpenApiParameter("year", int, description="the rounds' year (default: the latest with figures)")],
                   responses=EvaluationOverviewSerializer)
    def get(self, request):
        try:
            year = int(request.query_params["year"]) if request.query_params.get("year") else None
        except ValueError:
            raise ValidationError({"year": [_("Give the year as a number, like 2026.")]}) from None
        return Response(EvaluationOverviewSerializer(evaluation_figures(user=request.user, year=year)).data)
