"""JWT for mobile clients: short-lived access tokens, rotating refresh tokens, and
logout that revokes both (refresh via simplejwt's blacklist, access via a Redis deny-list)."""
from __future__ import annotations

from django.core.cache import caches
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

_DENYLIST_PREFIX = "revoked-access-jti:"


def _denylist():
    return caches["default"]


def revoke_access_token(token) -> None:
    """Refuse this access token from now until it would have expired anyway."""
    import time

    ttl = max(1, int(token["exp"] - time.time()))
    # The cache key function prefixes the current schema; logout runs in the public schema.
    _denylist().set(_DENYLIST_PREFIX + token["jti"], 1, timeout=ttl)


def is_access_token_revoked(token) -> bool:
    from django.db import connection

    if connection.schema_name != "public":
        # Keys are written from the public schema; read them from there too.
        from django_tenants.utils import schema_context

        with schema_context("public"):
            return _denylist().get(_DENYLIST_PREFIX + token["jti"]) is not None
    return _denylist().get(_DENYLIST_PREFIX + token["jti"]) is not None


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt's authentication, plus the deny-list, and reusing the routing middleware's result."""

    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        cached = getattr(django_request, "_bearer_auth", None)
        if cached is not None:
            return cached
        result = super().authenticate(request)
        if result is not None and is_access_token_revoked(result[1]):
            raise InvalidToken(_("Token has been revoked."))
        django_request._bearer_auth = result
        return result


def authenticate_bearer(request):
    """(user, token) for a valid bearer token, None without one; raises for a bad token."""
    return JWTAuthentication().authenticate(request)
