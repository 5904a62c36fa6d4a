"""Sign-in for mobile clients (JWT) and "who am I" across units."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from ..access import units_visible_to
from ..authentication import revoke_access_token
from ..models import JurisdictionRole, UnitRole


class TokenObtain(TokenObtainPairView):
    """Exchange a username or mobile number and password for an access and a refresh token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


class TokenRefresh(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class Logout(APIView):
    """Revoke the refresh token given and the access token used for this call."""

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        form = LogoutSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(form.validated_data["refresh"])
        except TokenError:
            raise serializers.ValidationError({"refresh": [_("Token is invalid or expired.")]})
        if str(refresh.get("user_id")) != str(request.user.pk):
            raise serializers.ValidationError({"refresh": [_("This token belongs to someone else.")]})
        refresh.blacklist()
        if request.auth is not None and hasattr(request.auth, "payload"):
            revoke_access_token(request.auth)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeUnitSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    county = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    api = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    is_operator = serializers.BooleanField()
    jurisdictions = serializers.ListField(child=serializers.DictField())
    units = MeUnitSerializer(many=True)


class Me(APIView):
    """The signed-in person, every unit they can enter, and with which roles."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        roles: dict[int, list[str]] = {}
        for unit_id, role in UnitRole.objects.filter(user=user).values_list("unit_id", "role"):
            roles.setdefault(unit_id, []).append(role)
        units = units_visible_to(user).select_related("county").filter(status="active").order_by("name")
        jurisdictions = list(JurisdictionRole.objects.filter(user=user).select_related("jurisdiction"))
        return Response({
            "id": user.pk,
            "username": user.username,
            "full_name": user.full_name,
            "phone": user.phone,
            "is_operator": user.is_superuser,
            "jurisdictions": [{"code": r.jurisdiction.code, "name": r.jurisdiction.name, "level": r.jurisdiction.level, "role": r.role} for r in jurisdictions],
            "units": [
                {
                    "slug": u.slug, "name": u.name, "kind": u.kind, "county": u.county.name,
                    "roles": sorted(roles.get(u.pk, ["county_viewer"] if not user.is_superuser else ["operator"])),
                    "api": f"/api/v1/u/{u.slug}/",
                }
                for u in units
            ],
        })
