from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.admin_sites import ReadOnlyUnitModelAdmin, platform_admin_site, unit_admin_site

from .models import AuditEntry


def record_kind(label: str) -> str:
    """A stored model label (`pledges.PledgeItem`) as people call it (承诺事项)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


# Audited events that are not a field's change (audit.recorder.record_event: an activation code
# issued, a login unlocked) note what happened under these keys and values.
EVENT_NOTES = {
    "activation": _("activation code"), "expires_at": _("expires at"), "login": _("login"),
    "sms": _("sent by SMS"), "handover": _("handed over in person"), "unlocked": _("unlocked"),
}


def _shown(field, value) -> str:
    """A stored value as the record's page would show it: a choice by its label, a link to
    another record by that record's name, yes/no, lists one after another."""
    if value is None or value == "":
        return "—"
    if field is None:  # an event's own note (EVENT_NOTES)
        moment = parse_datetime(value) if isinstance(value, str) else None
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment and moment.tzinfo else str(EVENT_NOTES.get(value, value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if isinstance(field, models.DateTimeField) and parse_datetime(str(value)):
        return date_format(timezone.localtime(parse_datetime(str(value))), "DATETIME_FORMAT")
    if isinstance(field, models.DateField) and parse_date(str(value)):
        return date_format(parse_date(str(value)), "DATE_FORMAT")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    return str(value)


def change_rows(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) for what a change touched: every field for a creation or a
    deletion, the changed ones for an update, named as the record's page names them."""
    before, after = entry.before or {}, entry.after or {}
    try:
        fields = {f.attname: f for f in apps.get_model(entry.model)._meta.concrete_fields}
    except (LookupError, ValueError):
        fields = {}
    rows = []
    for name in dict.fromkeys([*before, *after]):
        if name == "id" or (before and after and before.get(name) == after.get(name)):
            continue
        field = fields.get(name)
        label = str(field.verbose_name) if field is not None else str(EVENT_NOTES.get(name, name))
        rows.append((label, _shown(field, before.get(name)) if before else "", _shown(field, after.get(name)) if after else ""))
    return rows


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
    fields = ["at", "actor_label", "action", "kind", "object_repr", "changes"]
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        # A record's 历史 button opens its trail: ?model=…&object_id=…
        return lookup == "object_id" or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("record kind"), ordering="model")
    def kind(self, entry):
        return record_kind(entry.model)

    def history_view(self, request, object_id, extra_context=None):
        # An entry's own history is the trail of the record it describes.
        entry = self.get_object(request, object_id)
        if entry is None:
            return super().history_view(request, object_id, extra_context)
        trail = reverse(f"{self.admin_site.name}:audit_auditentry_changelist")
        return HttpResponseRedirect(f"{trail}?{urlencode({'model': entry.model, 'object_id': entry.object_id})}")

    @admin.display(description=_("changes"))
    def changes(self, entry):
        rows = change_rows(entry)
        if not rows:
            return "—"
        return format_html(
            '<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("field"), gettext("before"), gettext("after"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


unit_admin_site.register(AuditEntry, AuditEntryAdmin)


class PlatformAuditEntryAdmin(admin.ModelAdmin):
    list_display = AuditEntryAdmin.list_display
    list_filter = AuditEntryAdmin.list_filter
    search_fields = AuditEntryAdmin.search_fields
    fields = ["at", "actor_label", "schema", "action", "kind", "object_repr", "changes"]
    readonly_fields = fields
    kind = AuditEntryAdmin.kind
    changes = AuditEntryAdmin.changes

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
