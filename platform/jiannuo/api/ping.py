"""The smallest DRF endpoint: mobile clients check reachability with it, and the
benchmarks use it as the baseline for what the framework alone costs per request."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class Ping(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=inline_serializer("Ping", {"ok": serializers.BooleanField()}))
    def get(self, request):
        return Response({"ok": True})
