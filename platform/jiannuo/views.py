"""The landing page, a unit's own address, the health check and the error pages."""
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from accounts.access import units_visible_to, units_with_console
from tenants.api.errors import error_response
from tenants.markers import unit_public


def home(request):
    units = []
    if request.user.is_authenticated:
        units = list(units_visible_to(request.user).select_related("county").filter(status="active").order_by("name")[:200])
        with_console = set(units_with_console(request.user).filter(pk__in=[unit.pk for unit in units]).values_list("pk", flat=True))
        for unit in units:
            unit.has_console = unit.pk in with_console  # members see their messages, not a console they cannot open
    return render(request, "jiannuo/home.html", {"units": units})


@unit_public
@require_safe
def unit_start(request):
    """`/u/<unit>/`, the address printed on posters and typed from memory: each caller lands
    where they work in the unit — its admins in the console, its county on its figures, its
    members in their inbox, everyone else (signed in elsewhere or not) on its public board."""
    access = request.unit_access
    if access is None:
        return redirect("pledge-board")
    if access.is_unit_admin:
        return redirect("unitadmin:index")
    if access.is_read_only:
        return redirect("unit-dashboard")
    return redirect("unit-inbox")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return JsonResponse({"status": "ok"})


def healthz_live(request):
    """Liveness: the process answers. Touches neither the database nor the broker, so an outage of
    either does not get healthy web processes restarted."""
    return JsonResponse({"status": "ok"})


def healthz_ready(request):
    """Readiness: the database answers a query and the broker a connection; 503 naming what failed,
    so a load balancer stops sending requests here until both are back."""
    checks = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1")
    except Exception:  # noqa: BLE001 — any failure means not ready
        checks["database"] = "unavailable"
    try:
        from jiannuo.celery import app

        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:  # noqa: BLE001
        checks["broker"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


# Django's error pages for paths no view answers (and for what a view could not): the API's
# clients get the one error envelope, in their language; pages keep Django's own.
def _error(status: int, code: str, message, page):
    def view(request, exception=None):
        if request.path_info.startswith("/api/"):
            return error_response(status, code, str(message), request=request)
        return page(request, exception) if exception is not None else page(request)
    return view


bad_request = _error(400, "bad_request", _("The request could not be understood."), defaults.bad_request)
permission_denied = _error(403, "permission_denied", _("You do not have permission to perform this action."), defaults.permission_denied)
page_not_found = _error(404, "not_found", _("Not found."), defaults.page_not_found)
server_error = _error(500, "server_error", _("Something went wrong on our side. Please try again later."), defaults.server_error)
