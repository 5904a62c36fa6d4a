"""The landing page and the health check."""
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from accounts.access import units_visible_to


def home(request):
    units = []
    if request.user.is_authenticated:
        units = list(units_visible_to(request.user).select_related("county").filter(status="active").order_by("name")[:200])
    return render(request, "jiannuo/home.html", {"units": units})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return JsonResponse({"status": "ok"})
