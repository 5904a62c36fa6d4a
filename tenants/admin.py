from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tenants.admin_sites import PlatformModelAdmin, platform_admin_site
from accounts.access import units_overseen_by

from . import services
from .models import Unit


@admin.register(Unit, site=platform_admin_site)
class UnitAdmin(PlatformModelAdmin):
    list_display = ["name", "slug", "kind", "county", "status", "console"]
    list_filter = ["kind", "status", "county"]
    search_fields = ["name", "slug"]
    list_select_related = ["county"]
    fields = ["name", "slug", "kind", "county", "status", "schema_name", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["status", "schema_name", "created_at"]
        return ["slug", "schema_name", "status", "created_at", "county"]

    @admin.display(description=_("console"))
    def console(self, obj):
        return format_html('<a href="/u/{}/admin/">/u/{}/admin/</a>', obj.slug, obj.slug)

    def get_queryset(self, request):
        return units_overseen_by(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # units are suspended, never deleted with their data

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        created = services.unit_create(name=obj.name, slug=obj.slug, kind=obj.kind, county=obj.county)
        obj.pk, obj.schema_name, obj.status = created.pk, created.schema_name, created.status
