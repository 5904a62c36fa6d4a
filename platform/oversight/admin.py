from django.contrib import admin

from jiannuo.admin_sites import platform_admin_site

from .models import Jurisdiction
from .selectors import jurisdictions_visible_to


@admin.register(Jurisdiction, site=platform_admin_site)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]

    def get_queryset(self, request):
        return jurisdictions_visible_to(request.user).select_related("parent")

    def has_view_permission(self, request, obj=None):
        return platform_admin_site.has_permission(request)

    def has_module_permission(self, request):
        return platform_admin_site.has_permission(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
