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

from accounts.access import access_decide, unit_route
from accounts.authentication import bearer_accept, bearer_token, bearer_user_id
from audit.context import acting
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.exceptions import AuthenticationFailed

from tenants.api.errors import error_message, error_response
from tenants import log_context
from tenants.markers import is_public_view
from tenants.models import Unit

UNIT_PATH = re.compile(r"^/(?P<api>api/v1/)?u/(?P<slug>[^/]+)/")


@functools.lru_cache(maxsize=1)
def _unit_urlconf():
    # The URL composition lives on the top floor; it is named by a setting, not imported.
    return import_string(settings.UNIT_URLCONF_FACTORY)


class UnreadableRequestMiddleware:
    """A NUL character in the path or the query string is refused before anything reads it
    (PostgreSQL cannot hold one in a text: a lookup with it would fail as a 500). And an API
    address answers errors in the error envelope whatever produced them: Django's own pages
    (an address no route matches, with DEBUG on a technical page in HTML) never reach a phone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            return error_response(400, "bad_request", _("The address contains a character that is not allowed (NUL)."), request=request)
        response = self.get_response(request)
        if (response.status_code >= 400 and request.path_info.startswith("/api/")
                and not response.get("Content-Type", "").startswith("application/json")):
            code, message = _ENVELOPED.get(response.status_code, ("error", gettext_lazy("Request failed.")))
            enveloped = error_response(response.status_code, code, str(message), request=request)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    enveloped[header] = response[header]
            return enveloped
        return response


_ENVELOPED = {
    400: ("bad_request", exceptions.ParseError.default_detail),
    403: ("permission_denied", exceptions.PermissionDenied.default_detail),
    404: ("not_found", exceptions.NotFound.default_detail),
    405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
    500: ("error", gettext_lazy("Something went wrong on our side. Please try again later.")),
}


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
    """One query of the public schema decides a unit request: the unit, the caller's roles in
    it, any jurisdiction role above it and, for a bearer token, the token's owner
    (accounts.access.unit_route). Only a caller admitted there moves the connection on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.unit = None
        request.unit_access = None
        match = UNIT_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        request.is_api = bool(match["api"])
        token = token_error = None
        if request.is_api:
            try:
                token = bearer_token(request)
                user_id = bearer_user_id(token) if token is not None else None
            except AuthenticationFailed as exc:  # invalid or expired: answered below, once the unit is known to exist
                token, token_error = None, exc
        if token is not None:
            route = unit_route(slug=match["slug"], user_id=user_id, with_user=True)
            user = route.user if route is not None else None
        else:
            user = request.user
            route = unit_route(slug=match["slug"], user_id=user.pk if user.is_authenticated else None)
        unit = route.unit if route is not None else None
        if unit is None or unit.status == Unit.Status.SUSPENDED:
            return self._deny(request, 404)
        if not unit.is_active:
            response = error_response(503, "unit_unavailable", _("This unit is being set up or upgraded. Try again in a minute."), request=request)
            response["Retry-After"] = "60"
            return response
        if token is not None:
            try:
                bearer_accept(request, token, user)
            except AuthenticationFailed as exc:
                token_error = exc
        if token_error is not None:
            response = error_response(401, "not_authenticated", error_message(token_error), request=request)
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        request.unit = unit
        # django-tenants' own templates (the admin's app list) ask `request.tenant` which schema
        # a page is in; without it a unit's console thinks it is in public and hides its apps.
        request.tenant = unit
        request._route = (user, route)
        request.urlconf = _unit_urlconf()(unit.slug)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.unit is None:
            return None
        view_kwargs.pop("unit", None)  # the unit travels as request.unit
        user, route = request._route
        request.unit_access = access_decide(user, route.roles, route.oversees)
        log_context.unit_schema.set(request.unit.schema_name)
        if request.unit_access is not None:
            log_context.user_id.set(request.unit_access.user_id)
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
