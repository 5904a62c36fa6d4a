"""Base for unit-scoped API views: access comes from the routing middleware, the caller
(tenants.organization.caller.Caller) from it.

Views never build a queryset on their own: they implement `scoped_queryset(caller)` with a
selector scoped to what the caller may see, and the base's `get_queryset()` (which they may
not override) calls it, so "missing" and "not yours" both give 404. The unscoped way is the
awkward one: a view that really must override `get_queryset` says so with
`dangerously_unscoped = True`.
"""
from __future__ import annotations

from accounts.access import UnitAccess
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from tenants.organization.caller import Caller, caller_from_access


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
    dangerously_unscoped = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ and not cls.__dict__.get("dangerously_unscoped", False):
            raise TypeError(f"{cls.__qualname__}: implement scoped_queryset(caller) instead of get_queryset()")

    @property
    def unit(self):
        return unit_of(self.request)

    @property
    def access(self) -> UnitAccess:
        return unit_access(self.request)

    @cached_property
    def caller(self) -> Caller:
        return caller_from_access(self.access)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no caller: the model is enough
            return self.queryset
        return self.scoped_queryset(self.caller)

    def scoped_queryset(self, caller: Caller):
        raise NotImplementedError(f"{type(self).__qualname__} lists or looks up objects: implement scoped_queryset(caller)")
