"""Sign-in for mobile clients (JWT), sign-out, password change and "who am I" across units."""
from django.contrib.auth import logout as session_logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tenants.api.errors import error_body
from tenants.api.fields import Text

from ..access import units_visible_to
from ..authentication import JWTAuthentication
from ..login import (
    LoginRefused, account_locked, failed_check_counted, locked_refusal, login_check, login_succeeded, second_factor_check,
)
from ..models import JurisdictionRole, UnitRole, User
from ..tokens import FAMILY_CLAIM, family_revoke, token_still_valid, tokens_issue
from .throttles import AddressThrottle


def refresh_token_verified(raw: str) -> RefreshToken | None:
    """The refresh token if its signature, expiry and type hold (a blacklisted one included:
    the refresh view treats its reuse as theft), else None."""
    try:
        token_backend.decode(raw, verify=True)  # signature and expiry
        refresh = RefreshToken(raw, verify=False)
        refresh.verify_token_type()
    except (TokenError, TokenBackendError):
        return None
    if not str(refresh.get("user_id", "")).isdigit() or not refresh.get("jti"):
        return None
    return refresh


def _refusal(refused: LoginRefused) -> Response:
    response = Response(error_body(refused.status, refused.code, refused.message), status=refused.status)
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return response


def _signed_out() -> Response:
    return Response(error_body(401, "not_authenticated", _("Your sign-in has expired or is not valid. Please sign in again.")), status=401)


class TokenObtainSerializer(serializers.Serializer):
    username = Text(max_length=150, help_text="Username or mobile number")
    password = Text(max_length=128, trim_whitespace=False, write_only=True)
    otp = Text(max_length=20, required=False, allow_blank=True, write_only=True,
                                help_text="The authenticator code or a recovery code, for accounts with two-step verification")


class TokenPairSerializer(serializers.Serializer):
    access = Text()
    refresh = Text()


@extend_schema_view(post=extend_schema(summary="登录取得令牌 / Sign in for a token pair"))
class TokenObtain(APIView):
    """Exchange a username or mobile number and password (and, for accounts with two-step
    verification, the authenticator code) for an access and a refresh token."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AddressThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenObtainSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        form = TokenObtainSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            user = login_check(request=request, login=data["username"], password=data["password"])
            second_factor_check(request=request, user=user, otp=data.get("otp"))
        except LoginRefused as refused:
            return _refusal(refused)
        login_succeeded(request=request, user=user)
        refresh = tokens_issue(user=user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class RefreshSerializer(serializers.Serializer):
    refresh = Text(max_length=2000)


@extend_schema_view(post=extend_schema(summary="刷新令牌 / Refresh the token pair"))
class TokenRefresh(APIView):
    """Exchange a refresh token for a new pair; the old refresh token stops working. A refresh
    token presented a second time means it was copied: the whole sign-in is revoked."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=RefreshSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        form = RefreshSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        refresh = refresh_token_verified(form.validated_data["refresh"])
        if refresh is None:
            return _signed_out()
        with transaction.atomic():
            user_id = int(refresh["user_id"])
            outstanding = OutstandingToken.objects.select_for_update().filter(jti=refresh["jti"], user_id=user_id).first()
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if outstanding is None or user is None or not token_still_valid(refresh, user):
                return _signed_out()
            if BlacklistedToken.objects.filter(token=outstanding).exists():
                family_revoke(refresh[FAMILY_CLAIM])  # reuse of a rotated token
                return _signed_out()
            BlacklistedToken.objects.create(token=outstanding)
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class LogoutSerializer(serializers.Serializer):
    refresh = Text(max_length=2000, required=False, help_text="The refresh token of this sign-in (optional)")
    everywhere = serializers.BooleanField(default=False, help_text="Sign out every device and browser of this account")


@extend_schema_view(post=extend_schema(summary="退出登录 / Sign out"))
class Logout(APIView):
    """End this sign-in: every access and refresh token issued from it (before and after
    refreshes) and the browser session. With `everywhere`, every sign-in of the account."""

    authentication_classes = [JWTAuthentication, SessionAuthentication]

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        form = LogoutSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        families = set()
        if request.auth is not None and hasattr(request.auth, "payload"):
            families.add(request.auth.get(FAMILY_CLAIM))
        if form.validated_data.get("refresh"):
            refresh = refresh_token_verified(form.validated_data["refresh"])
            if refresh is None:
                raise serializers.ValidationError({"refresh": [_("Token is invalid or expired.")]})
            if str(refresh.get("user_id")) != str(request.user.pk):
                raise serializers.ValidationError({"refresh": [_("This token belongs to someone else.")]})
            families.add(refresh.get(FAMILY_CLAIM))
        for family in families - {None}:
            family_revoke(family)
        if form.validated_data["everywhere"]:
            from ..services import credentials_revoke

            credentials_revoke(user=request.user)
        session_logout(request._request)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = Text(max_length=128, trim_whitespace=False, write_only=True)
    new_password = Text(max_length=128, trim_whitespace=False, write_only=True)


@extend_schema_view(post=extend_schema(summary="修改密码 / Change my password"))
class PasswordChange(APIView):
    """Change my password. Every other sign-in of the account ends; this one gets a new pair."""

    authentication_classes = [JWTAuthentication]
    throttle_classes = [AddressThrottle]
    throttle_scope = "login"

    @extend_schema(request=PasswordChangeSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        form = PasswordChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = request.user
        if account_locked(request=request, user=user):
            return _refusal(locked_refusal())
        if not user.check_password(form.validated_data["old_password"]):
            failed_check_counted(request=request, user=user)  # a stolen token must not buy guesses
            raise serializers.ValidationError({"old_password": [_("Your current password is not correct.")]})
        try:
            validate_password(form.validated_data["new_password"], user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"new_password": exc.messages})
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            user.set_password(form.validated_data["new_password"])
            user.save(update_fields=["password"])
        refresh = tokens_issue(user=user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class MeUnitSerializer(serializers.Serializer):
    slug = Text()
    name = Text()
    kind = Text()
    county = Text()
    roles = serializers.ListField(child=Text())
    api = Text()


class MeJurisdictionSerializer(serializers.Serializer):
    code = Text()
    name = Text()
    level = Text(help_text="county, city or province")
    role = Text()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = Text()
    full_name = Text()
    phone = Text(allow_null=True)
    is_operator = serializers.BooleanField()
    jurisdictions = MeJurisdictionSerializer(many=True)
    units = MeUnitSerializer(many=True)


@extend_schema_view(get=extend_schema(summary="我的账号与可进入的单位 / Me and the units I can enter"))
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
