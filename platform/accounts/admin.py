from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.admin_sites import platform_admin_site

from .login import account_unlock
from .models import JurisdictionRole, UnitRole, User
from .services import credentials_revoke, user_suspend
from .two_factor import two_factor_remove


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
    actions = ["sign_out_everywhere", "unlock", "remove_two_factor"]

    def save_model(self, request, obj, form, change):
        suspended = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if suspended:
            user_suspend(user=obj)  # every session and token of the person ends now

    @admin.action(description=_("Sign out everywhere (end every session and token)"))
    def sign_out_everywhere(self, request, queryset):
        for user in queryset:
            credentials_revoke(user=user)
        self.message_user(request, _("Signed out everywhere: %(n)d accounts.") % {"n": len(queryset)}, messages.SUCCESS)

    @admin.action(description=_("Unlock after too many wrong passwords"))
    def unlock(self, request, queryset):
        for user in queryset:
            account_unlock(user=user)
        self.message_user(request, _("Unlocked: %(n)d accounts.") % {"n": len(queryset)}, messages.SUCCESS)

    @admin.action(description=_("Remove two-step verification (lost phone and recovery codes)"))
    def remove_two_factor(self, request, queryset):
        for user in queryset:
            two_factor_remove(user=user)
            credentials_revoke(user=user)
        self.message_user(request, _("Two-step verification removed: %(n)d accounts. They set it up again at their next sign-in."), messages.SUCCESS)


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


@admin.register(AccessAttempt, site=platform_admin_site)
class AccessAttemptAdmin(OperatorOnly):
    """Accounts with recent wrong passwords; deleting a row unlocks the account."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time"]
    search_fields = ["username", "ip_address"]
    readonly_fields = ["username", "ip_address", "user_agent", "failures_since_start", "attempt_time", "path_info"]
    fields = readonly_fields
    has_add_permission = lambda self, request: False  # noqa: E731


@admin.register(TOTPDevice, site=platform_admin_site)
class TOTPDeviceAdmin(OperatorOnly):
    list_display = ["device_user", "device_name", "device_confirmed", "device_last_used"]
    search_fields = ["user__username", "user__phone"]
    fields = ["device_user", "device_name", "device_confirmed"]
    readonly_fields = fields
    has_add_permission = lambda self, request: False  # noqa: E731

    # django-otp's field names are not translatable: the columns are named here.
    @admin.display(description=_("account"), ordering="user__username")
    def device_user(self, device):
        return device.user

    @admin.display(description=_("device name"))
    def device_name(self, device):
        return device.name

    @admin.display(description=_("set up"), boolean=True)
    def device_confirmed(self, device):
        return device.confirmed

    @admin.display(description=_("last used"), ordering="last_used_at")
    def device_last_used(self, device):
        return device.last_used_at
