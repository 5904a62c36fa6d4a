"""JWT for mobile clients: one token *family* per sign-in.

Every refresh and access token issued from one sign-in (and from each rotation after
it) carries the same family id `fam`; logging out revokes the family, so a token issued
before a refresh dies with the rest. Tokens also carry the person's credential stamp
`cv`: a password change, a suspension or "sign out everywhere" changes it and every token of the person stops
working at once (`cv` is a stamp of the password hash and the credential version, so a
new password set by any path has the same effect). Revoked families are kept in Redis (cache alias "security", keys
without a unit prefix) for as long as any token of the family could still be valid.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import caches
from rest_framework_simplejwt.tokens import RefreshToken

FAMILY_CLAIM = "fam"
VERSION_CLAIM = "cv"
_REVOKED_FAMILY = "revoked-token-family:"


def _store():
    return caches["security"]


def tokens_issue(*, user) -> RefreshToken:
    """A new family: the refresh token; its `.access_token` is the first access token."""
    refresh = RefreshToken.for_user(user)
    refresh[FAMILY_CLAIM] = uuid.uuid4().hex
    refresh[VERSION_CLAIM] = credential_stamp(user)
    return refresh


def family_revoke(family: str) -> None:
    # Once revoked nothing new is issued in the family, so its newest refresh token
    # expires at most one refresh lifetime from now.
    ttl = int(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds()) + 60
    _store().set(_REVOKED_FAMILY + family, 1, timeout=ttl)


def family_revoked(family: str | None) -> bool:
    return family is None or _store().get(_REVOKED_FAMILY + family) is not None


def credential_stamp(user) -> str:
    return user.get_session_auth_hash()[:16]


def token_still_valid(token, user) -> bool:
    """Beyond signature and expiry: the family is live and the credentials unchanged."""
    return token.get(VERSION_CLAIM) == credential_stamp(user) and not family_revoked(token.get(FAMILY_CLAIM))
