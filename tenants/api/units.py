"""Base for unit-scoped API views: access comes from the routing middleware.

Object lookups go through `get_queryset()`, which each view builds from a selector
scoped to what the caller may see; "missing" and "not yours" both give 404.
"""
from __future__ import annotations

from rest_framework import permissions
from django.utils.translation import gettext_lazy as _

from accounts.access import UnitAccess


def unit_access(request) -> UnitAccess | None:
    return getattr(getattr(request, "_request", request), "unit_access", None)


def unit_of(request):
    return getattr(request, "_request", request).unit


class UnitPermission(permissions.BasePermission):
    """Reads: anyone admitted to the unit (what they see is narrowed by the queryset).
    Writes: unit admins, or the roles a view lists in `write_roles`. County viewers never write."""

    message = _("Your role in this unit does not allow this.")

    def has_permission(self, request, view) -> bool:
        access = unit_access(request)
        if access is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if access.is_read_only:
            return False
        return access.is_unit_admin or bool(set(getattr(view, "write_roles", ())) & access.roles)


class UnitAdminOnly(UnitPermission):
    def has_permission(self, request, view) -> bool:
        access = unit_access(request)
        if access is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return access.is_unit_admin or access.is_read_only
        return access.is_unit_admin


class UnitScopedMixin:
    permission_classes = [UnitPermission]

    @property
    def unit(self):
        return unit_of(self.request)

    @property
    def access(self) -> UnitAccess:
        return unit_access(self.request)
