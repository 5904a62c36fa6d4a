from django.contrib import admin

from tenants.admin_sites import ReadOnlyUnitModelAdmin, platform_admin_site, unit_admin_site

from .models import AuditEntry


class AuditEntryAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["at", "actor_label", "action", "model", "object_repr"]
    list_filter = ["action", "model"]
    search_fields = ["object_repr", "actor_label", "object_id"]
    date_hierarchy = "at"


unit_admin_site.register(AuditEntry, AuditEntryAdmin)


class PlatformAuditEntryAdmin(admin.ModelAdmin):
    list_display = AuditEntryAdmin.list_display
    list_filter = AuditEntryAdmin.list_filter
    search_fields = AuditEntryAdmin.search_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser


platform_admin_site.register(AuditEntry, PlatformAuditEntryAdmin)
