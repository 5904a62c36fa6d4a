from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from jiannuo.admin_sites import platform_admin_site

from .models import JurisdictionRole, UnitRole, User


class OperatorOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_add_permission = lambda self, request: request.user.is_superuser  # noqa: E731
    has_change_permission = lambda self, request, obj=None: request.user.is_superuser  # noqa: E731
    has_delete_permission = lambda self, request, obj=None: request.user.is_superuser  # noqa: E731


class UnitRoleInline(admin.TabularInline):
    model = UnitRole
    extra = 0
    autocomplete_fields = ["unit"]


class JurisdictionRoleInline(admin.TabularInline):
    model = JurisdictionRole
    extra = 0


@admin.register(User, site=platform_admin_site)
class UserAdmin(OperatorOnly, BaseUserAdmin):
    list_display = ["username", "full_name", "phone", "is_active", "is_superuser", "last_login"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    inlines = [UnitRoleInline, JurisdictionRoleInline]


@admin.register(UnitRole, site=platform_admin_site)
class UnitRoleAdmin(OperatorOnly):
    list_display = ["user", "unit", "role", "created_at"]
    list_filter = ["role", "unit"]
    search_fields = ["user__username", "user__phone", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(JurisdictionRole, site=platform_admin_site)
class JurisdictionRoleAdmin(OperatorOnly):
    list_display = ["user", "jurisdiction", "role", "created_at"]
    autocomplete_fields = ["user"]
