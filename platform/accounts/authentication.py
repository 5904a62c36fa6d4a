"""Bearer-token authentication for the API: simplejwt's checks, then the token's family
and credential version (accounts.tokens), with answers in the caller's language."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed as Refused
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

# simplejwt's exceptions carry a dict as their detail; these are plain sentences, so every
# client (and the error envelope) shows one translated message.

from .tokens import token_still_valid


class JWTAuthentication(BaseJWTAuthentication):
    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        cached = getattr(django_request, "_bearer_auth", None)
        if cached is not None:
            return cached
        result = super().authenticate(request)
        if result is not None and not token_still_valid(result[1], result[0]):
            raise Refused(_("You have been signed out. Please sign in again."), code="token_not_valid")
        django_request._bearer_auth = result
        return result

    def get_raw_token(self, header):
        try:
            return super().get_raw_token(header)
        except AuthenticationFailed:  # e.g. "Bearer a b": simplejwt answers in English only
            raise Refused(_("Your sign-in has expired or is not valid. Please sign in again."), code="bad_authorization_header")

    def get_validated_token(self, raw_token):
        try:
            return super().get_validated_token(raw_token)
        except (InvalidToken, TokenError):
            raise Refused(_("Your sign-in has expired or is not valid. Please sign in again."), code="token_not_valid")

    def get_user(self, validated_token):
        try:
            return super().get_user(validated_token)
        except (InvalidToken, AuthenticationFailed):
            raise Refused(_("Your sign-in has expired or is not valid. Please sign in again."), code="token_not_valid")


def bearer_token(request):
    """The request's validated bearer token (signature and expiry only, no query), None
    without one; raises for a bad token. Its owner is checked by `bearer_accept`."""
    auth = JWTAuthentication()
    header = auth.get_header(request)
    raw = auth.get_raw_token(header) if header is not None else None
    return auth.get_validated_token(raw) if raw is not None else None


def bearer_user_id(token) -> int:
    try:
        return int(token[jwt_settings.USER_ID_CLAIM])
    except (KeyError, TypeError, ValueError):
        raise Refused(_("Your sign-in has expired or is not valid. Please sign in again."), code="token_not_valid") from None


def bearer_accept(request, token, user) -> tuple:
    """(user, token) once the token's owner, loaded by the caller, still holds it: the account
    exists and is active, the family is live and the credentials unchanged. Remembered on the
    request, so DRF's authentication does not read the account again."""
    if user is None or not user.is_active:
        raise Refused(_("Your sign-in has expired or is not valid. Please sign in again."), code="token_not_valid")
    if not token_still_valid(token, user):
        raise Refused(_("You have been signed out. Please sign in again."), code="token_not_valid")
    getattr(request, "_request", request)._bearer_auth = (user, token)
    return user, token
