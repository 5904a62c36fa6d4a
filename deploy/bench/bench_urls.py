"""The product's URLs plus the baseline: a bare DRF endpoint that reads 20 rows with one query."""
from django.urls import path
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from jiannuo.urls import urlpatterns as product


class Baseline(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response(list(User.objects.order_by("id").values("id", "username", "full_name")[:20]))


urlpatterns = [path("bench/baseline/", Baseline.as_view()), *product]
