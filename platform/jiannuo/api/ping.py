"""The smallest DRF endpoint: mobile clients check reachability with it, and the
benchmarks use it as the baseline for what the framework alone costs per request."""
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView


@extend_schema_view(get=extend_schema(summary="服务是否在线 / Is the service up"))
class Ping(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=inline_serializer("Ping", {"ok": serializers.BooleanField()}))
    def get(self, request):
        return Response({"ok": True})
