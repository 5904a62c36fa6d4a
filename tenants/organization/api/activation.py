"""Public sign-in screen actions: ask for a code by SMS, activate (or reset) a login with a code."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.throttles import AddressThrottle
from accounts.models import phone_validator
from tenants.api.fields import Text

from .. import identity


class CodeRequestSerializer(serializers.Serializer):
    phone = Text(max_length=11, validators=[phone_validator])


class ActivateSerializer(serializers.Serializer):
    phone = Text(max_length=11, validators=[phone_validator])
    code = Text(max_length=20)
    password = Text(max_length=128, trim_whitespace=False, write_only=True)


_Detail = inline_serializer("ActivationDetail", {"detail": Text()})


class CodeRequest(APIView):
    """Send a one-time code to my phone (first sign-in, or a forgotten password). The answer
    is the same whether or not the number is enrolled anywhere."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AddressThrottle]
    throttle_scope = "activation"

    @extend_schema(summary="发送验证码到我的手机 / Send a one-time code to my phone", request=CodeRequestSerializer, responses={202: _Detail})
    def post(self, request):
        form = CodeRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        identity.self_service_code_send(phone=form.validated_data["phone"])
        return Response({"detail": _("If this number is enrolled in a unit, a code is on its way by SMS.")}, status=status.HTTP_202_ACCEPTED)


class Activate(APIView):
    """Set my password with a code from an SMS or from my unit admin. With an SMS code, every
    unit that enrolled my number is linked to my login too. Every earlier sign-in ends."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AddressThrottle]
    throttle_scope = "activation"

    @extend_schema(summary="用验证码设置密码 / Set my password with a code", request=ActivateSerializer, responses={200: _Detail})
    def post(self, request):
        form = ActivateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            identity.activation_redeem(phone=data["phone"], code=data["code"], password=data["password"])
        except identity.ActivationRefused:
            raise serializers.ValidationError({"code": [_(
                "This code is not valid for this number, or it has expired or been used. If you already use "
                "Jiannuo in another unit, ask for a code by SMS instead of an activation letter.")]})
        return Response({"detail": _("Your login is active. Sign in with your mobile number and the new password.")})
