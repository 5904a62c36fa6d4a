from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tenants.admin_sites import ReadOnlyUnitModelAdmin, platform_admin_site, unit_admin_site

from .models import AuditEntry


def record_kind(label: str) -> str:
    """A stored model label (`pledges.PledgeItem`) as people call it (承诺事项)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


class RecordKindFilter(admin.SimpleListFilter):
    title = _("record kind")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        labels = model_admin.get_queryset(request).order_by().values_list("model", flat=True).distinct()
        return sorted(((label, record_kind(label)) for label in labels), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(model=self.value()) if self.value() else queryset


class AuditEntryAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["at", "actor_label", "action", "kind", "object_repr"]
    list_filter = ["action", RecordKindFilter]
    search_fields = ["object_repr", "actor_label", "object_id"]
    date_hierarchy = "at"

    @admin.display(description=_("record kind"), ordering="model")
    def kind(self, entry):
        return record_kind(entry.model)


unit_admin_site.register(AuditEntry, AuditEntryAdmin)


class PlatformAuditEntryAdmin(admin.ModelAdmin):
    list_display = AuditEntryAdmin.list_display
    list_filter = AuditEntryAdmin.list_filter
    search_fields = AuditEntryAdmin.search_fields
    kind = AuditEntryAdmin.kind

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
