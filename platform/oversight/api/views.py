"""County admins' read-only view across the units of their jurisdiction."""
from django.db.models import Sum
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.models import Unit

from ..models import Jurisdiction
from ..selectors import jurisdictions_visible_to, units_overseen_by


class JurisdictionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["id", "name", "code", "level", "parent"]


class OverseenUnitSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county.name")
    members = serializers.IntegerField(source="figures.members", default=0)
    active_members = serializers.IntegerField(source="figures.active_members", default=0)
    mobile_members = serializers.IntegerField(source="figures.mobile_members", default=0)
    branches = serializers.IntegerField(source="figures.branches", default=0)
    figures_refreshed_at = serializers.DateTimeField(source="figures.refreshed_at", default=None)

    class Meta:
        model = Unit
        fields = ["slug", "name", "kind", "county", "status", "members", "active_members", "mobile_members", "branches", "figures_refreshed_at"]


class JurisdictionList(generics.ListAPIView):
    serializer_class = JurisdictionSerializer
    queryset = Jurisdiction.objects.none()  # for the schema generator; requests use get_queryset
    pagination_class = None

    def get_queryset(self):
        return jurisdictions_visible_to(self.request.user).order_by("level", "name")


class UnitList(generics.ListAPIView):
    serializer_class = OverseenUnitSerializer
    queryset = Unit.objects.none()  # for the schema generator; requests use get_queryset
    filterset_fields = ["kind", "status", "county__code"]
    search_fields = ["name", "slug"]

    def get_queryset(self):
        return units_overseen_by(self.request.user).order_by("county__name", "name")


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
        )
        return Response({"units": units.count(), **{k: v or 0 for k, v in totals.items()}})
