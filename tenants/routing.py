"""Request routing between the public schema and a unit's schema.

Unit-scoped URLs name the unit in the path: `/api/v1/u/<unit>/…` for the REST API
(one API host for every unit) and `/u/<unit>/…` for the unit's web console and its
public pages. The connection stays on the public schema until the caller's access
has been checked there; only then is it switched to the unit's schema, and it is
switched back when the response is done.
"""
from __future__ import annotations

import functools
import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.access import unit_access_for
from accounts.authentication import authenticate_bearer
from audit.context import acting
from tenants.api.errors import error_message, error_response
from tenants.markers import is_public_view
from tenants.models import Unit

UNIT_PATH = re.compile(r"^/(?P<api>api/v1/)?u/(?P<slug>[^/]+)/")


@functools.lru_cache(maxsize=1)
def _unit_urlconf():
    # The URL composition lives on the top floor; it is named by a setting, not imported.
    return import_string(settings.UNIT_URLCONF_FACTORY)


class PublicSchemaMiddleware:
    """Every request starts and ends on the public schema, whatever the thread did before,
    and names its caller as the actor of any audited change it makes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connection.set_schema_to_public()
        try:
            with acting(request=request, source="web"):
                return self.get_response(request)
        finally:
            connection.set_schema_to_public()


class UnitRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.unit = None
        request.unit_access = None
        match = UNIT_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        request.is_api = bool(match["api"])
        unit = Unit.objects.filter(slug=match["slug"]).first()
        if unit is None or unit.status == Unit.Status.SUSPENDED:
            return self._deny(request, 404)
        if not unit.is_active:
            response = error_response(503, "unit_unavailable", _("This unit is being set up or upgraded. Try again in a minute."), request=request)
            response["Retry-After"] = "60"
            return response
        request.unit = unit
        request.urlconf = _unit_urlconf()(unit.slug)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.unit is None:
            return None
        view_kwargs.pop("unit", None)  # the unit travels as request.unit
        user = request.user
        if request.is_api:
            try:
                bearer = authenticate_bearer(request)
            except Exception as exc:  # invalid or expired token
                response = error_response(401, "not_authenticated", error_message(exc), request=request)
                response["WWW-Authenticate"] = 'Bearer realm="api"'
                return response
            if bearer is not None:
                user = bearer[0]
        request.unit_access = unit_access_for(user, request.unit)
        if request.unit_access is None and not is_public_view(view_func):
            if not user.is_authenticated:
                if request.is_api:
                    return error_response(401, "not_authenticated", _("Authentication credentials were not provided."), request=request)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            # Same answer as for a unit that does not exist: membership is not disclosed.
            return self._deny(request, 404)
        connection.set_tenant(request.unit)
        return None

    def _deny(self, request, status):
        return error_response(status, "not_found", _("Not found."), request=request)
