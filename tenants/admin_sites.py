"""Two admin consoles (Chinese by default):

- the platform console at /admin/: operators manage jurisdictions, units and people;
  county admins see their own jurisdiction's units, read-only;
- each unit's console at /u/<unit>/admin/: the unit admin manages the organisation
  tree and member roll; county viewers and operators may look in.
"""
from functools import wraps
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class NewPasswordFirst:
    """Someone signed in with a password another person has seen (a new unit's first admin,
    with the one-time password the operator handed over) chooses their own before anything else."""

    OPEN_WITH_A_TEMPORARY_PASSWORD = {"password_change", "password_change_done", "logout", "jsi18n"}

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def gated(request, *args, **kwargs):
            if (getattr(request.user, "password_is_temporary", False) and self.has_permission(request)
                    and request.resolver_match.url_name not in self.OPEN_WITH_A_TEMPORARY_PASSWORD):
                messages.warning(request, _("You signed in with a one-time password: choose a password of your own to go on."))
                return HttpResponseRedirect(reverse(f"{self.name}:password_change"))
            return inner(request, *args, **kwargs)

        return gated


class PlatformAdminSite(NewPasswordFirst, admin.AdminSite):
    site_header = _("Jiannuo platform console")
    site_title = _("Jiannuo")
    index_title = _("Platform")

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        return user.is_superuser or user.jurisdiction_roles.exists()

    def login(self, request, extra_context=None):
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.GET.get("next") or "/admin/", "/accounts/login/")


class UnitAdminSite(NewPasswordFirst, admin.AdminSite):
    site_title = _("Jiannuo")
    index_title = _("Unit console")

    def has_permission(self, request) -> bool:
        access = getattr(request, "unit_access", None)
        return access is not None and (access.is_unit_admin or access.is_read_only)

    def each_context(self, request):
        context = super().each_context(request)
        unit = getattr(request, "unit", None)
        context["site_header"] = f"{unit.name} · {_('Unit console')}" if unit else _("Unit console")
        return context

    def login(self, request, extra_context=None):
        from django.contrib.auth.views import redirect_to_login
        from django.views.defaults import permission_denied

        if request.user.is_authenticated:  # signed in, but not an admin of this unit: say so, not the login form again
            return permission_denied(request, exception=None)
        return redirect_to_login(request.GET.get("next") or request.get_full_path(), "/accounts/login/")


platform_admin_site = PlatformAdminSite(name="platformadmin")
unit_admin_site = UnitAdminSite(name="unitadmin")


class PlatformModelAdmin(admin.ModelAdmin):
    """Platform console pages: overseers (county admins) may look, only operators change.
    Each admin narrows `get_queryset` to the caller's jurisdiction."""

    def has_module_permission(self, request):
        return platform_admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return platform_admin_site.has_permission(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class UnitModelAdmin(admin.ModelAdmin):
    """Permissions come from the caller's role in the unit, not Django's global permissions."""

    def _access(self, request):
        return getattr(request, "unit_access", None)

    def has_module_permission(self, request):
        return unit_admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return unit_admin_site.has_permission(request)

    def has_add_permission(self, request):
        access = self._access(request)
        return bool(access and access.is_unit_admin)

    has_change_permission = lambda self, request, obj=None: self.has_add_permission(request)  # noqa: E731
    has_delete_permission = lambda self, request, obj=None: self.has_add_permission(request)  # noqa: E731

    def history_view(self, request, object_id, extra_context=None):
        # Changes go through the services into the unit's audit trail, not Django's admin log
        # (which would say "no history"): the 历史 button opens the trail of this record.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        trail = reverse(f"{self.admin_site.name}:audit_auditentry_changelist")
        return HttpResponseRedirect(f"{trail}?{urlencode({'model': self.opts.label, 'object_id': object_id})}")


class ReadOnlyUnitModelAdmin(UnitModelAdmin):
    def has_add_permission(self, request):
        return False

    has_change_permission = lambda self, request, obj=None: False  # noqa: E731
    has_delete_permission = lambda self, request, obj=None: False  # noqa: E731


class ReadOnlyUnitInline(admin.TabularInline):
    """Rows shown under a record of the unit console (a pledge's items, its history), to whoever
    may see the console: Django's inlines ask for global model permissions, which unit roles
    are not, and would hide themselves."""

    template = "tenants/readonly_inline.html"
    short_fields: tuple[str, ...] = ()  # columns kept on one line (a state, a date), so long texts take the wrapping
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return unit_admin_site.has_permission(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
