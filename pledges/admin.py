"""The unit console: rules and rounds are edited here through the services; pledges,
items and records are read here (their steps are taken in the app, where the rules of
the state machine apply to every caller alike)."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.admin_sites import ReadOnlyUnitModelAdmin, UnitModelAdmin, unit_admin_site

from . import selectors, services
from .models import PHASE_FIELDS, Bulletin, Pledge, PledgeEvent, PledgeItem, PledgeRules, ProgressRecord, Round


class RulesForm(forms.ModelForm):
    class Meta:
        model = PledgeRules
        exclude = []

    def clean(self):
        data = super().clean()
        probe = PledgeRules(**{k: v for k, v in data.items()})
        try:
            services.check_rules(rules=probe)
        except ValidationError as exc:
            self.add_error(None, exc)  # Django places each field's messages on that field
        return data


@admin.register(PledgeRules, site=unit_admin_site)
class RulesAdmin(UnitModelAdmin):
    form = RulesForm

    def changelist_view(self, request, extra_context=None):
        # One set of rules per unit: the list opens it directly.
        rules = selectors.rules_current()
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:pledges_pledgerules_change", args=[rules.pk]))

    def has_add_permission(self, request):
        return False  # the one row exists already

    def has_change_permission(self, request, obj=None):
        return UnitModelAdmin.has_add_permission(self, request)  # unit admins, as for any unit record

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.rules_update(changes={k: form.cleaned_data[k] for k in form.changed_data})


class RoundForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = ["year", "theme", *PHASE_FIELDS]

    def clean(self):
        data = super().clean()
        if data.get("year") is not None and not 2000 <= data["year"] <= 2100:
            self.add_error("year", _("Enter a year between 2000 and 2100."))
        if all(data.get(name) for name in PHASE_FIELDS):
            try:
                services.check_round_dates(dates={name: data[name] for name in PHASE_FIELDS}, year=data.get("year") or self.instance.year)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(Round, site=unit_admin_site)
class RoundAdmin(UnitModelAdmin):
    form = RoundForm
    list_display = ["year", "theme", *PHASE_FIELDS]
    fields = ["year", "theme", *PHASE_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["year"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        dates = {k: form.cleaned_data[k] for k in PHASE_FIELDS}  # checked by the form
        if change:
            services.round_update(round=obj, theme=form.cleaned_data["theme"], dates=dates)
        else:
            obj.pk = services.round_open(year=form.cleaned_data["year"], theme=form.cleaned_data["theme"], dates=dates).pk


class ItemInline(admin.TabularInline):
    model = PledgeItem
    fields = ["position", "content", "area", "kind", "measures", "deadline", "state", "record_count", "closed_at", "closed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = PledgeEvent
    fields = ["created_at", "action", "actor", "item", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Pledge, site=unit_admin_site)
class PledgeAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["__str__", "subject", "organization", "state", "submitted_at", "published_at"]
    list_filter = ["round", "state", "subject"]
    search_fields = ["member__name", "organization__name", "title"]
    list_select_related = ["round", "member", "organization"]
    inlines = [ItemInline, EventInline]


@admin.register(PledgeItem, site=unit_admin_site)
class PledgeItemAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["content", "pledge", "kind", "area", "deadline", "state", "record_count", "last_record_on"]
    list_filter = ["state", "kind", "area", "pledge__round"]
    search_fields = ["content", "pledge__member__name"]
    list_select_related = ["pledge__round", "pledge__member", "pledge__organization"]


@admin.register(ProgressRecord, site=unit_admin_site)
class ProgressRecordAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["recorded_on", "item", "author", "text"]
    list_select_related = ["item", "author"]
    date_hierarchy = "recorded_on"


@admin.register(Bulletin, site=unit_admin_site)
class BulletinAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["period", "organization", "round", "created_at"]
    list_select_related = ["organization", "round"]
