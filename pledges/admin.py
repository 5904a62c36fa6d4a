"""The unit console: rules and rounds are edited here through the services; pledges,
items and records are read here (their steps are taken in the app, where the rules of
the state machine apply to every caller alike)."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.organization.models import Member
from tenants.admin_sites import ReadOnlyUnitInline, ReadOnlyUnitModelAdmin, UnitModelAdmin, unit_admin_site

from . import selectors, services
from .api.serializers import attachment_address
from .attachments import ATTACHMENT_SIGNATURES
from .models import PHASE_FIELDS, Area, Bulletin, ItemKind, Pledge, PledgeEvent, PledgeItem, PledgeRules, ProgressRecord, Round


class LinesField(forms.CharField):
    """A list of texts edited one per line (a cadre's list editor: no commas, no JSON)."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 90})

    def __init__(self, *, longest: int = 1000, most: int = services.MOST_TEMPLATES_PER_TIER, **kwargs):
        self.longest, self.most = longest, most
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", gettext_lazy("One per line."))
        super().__init__(strip=False, **kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            return list(value)
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def validate(self, value):
        super().validate(value)
        too_long = [line for line in value if len(line) > self.longest]
        if too_long:
            raise ValidationError(_("Each line holds at most %(n)d characters: %(line)s") % {"n": self.longest, "line": too_long[0][:30] + "…"})
        if len(value) > self.most:
            raise ValidationError(_("At most %(n)d lines (this list has %(have)d).") % {"n": self.most, "have": len(value)})

    def run_validators(self, value):
        # Django's check for NUL characters reads the list as one text, where a NUL is escaped.
        for line in value:
            super().run_validators(line)


def _file_type(name: str) -> str:
    return name.upper() if name != "webp" else "WebP"


def _template_field(tier: str) -> str:
    return f"common_{tier}"


class RulesForm(forms.ModelForm):
    """The unit's rules as a cadre edits them: areas, kinds and file types as check boxes,
    the checklist and each tier's common pledges one per line. Checked by the same service as
    the API (`services.check_rules`), saved by `services.rules_update`."""

    areas = forms.MultipleChoiceField(label=gettext_lazy("areas in use"), choices=Area.choices, widget=forms.CheckboxSelectMultiple)
    kinds = forms.MultipleChoiceField(label=gettext_lazy("kinds in use"), choices=ItemKind.choices, widget=forms.CheckboxSelectMultiple)
    attachment_types = forms.MultipleChoiceField(
        label=gettext_lazy("attachment types"), widget=forms.CheckboxSelectMultiple,
        choices=[(name, _file_type(name)) for name in ATTACHMENT_SIGNATURES],
    )
    review_checklist = LinesField(label=gettext_lazy("review checklist"), longest=100, most=services.MOST_CHECKLIST_POINTS,
                                  help_text=gettext_lazy("One point per line; a reviewer confirms each before approving."))

    class Meta:
        model = PledgeRules
        exclude = ["common_templates"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = self.instance.common_templates or {}
        for tier in Member.Tier.values:
            self.initial.setdefault(_template_field(tier), templates.get(tier, []))
        for name, field in self.fields.items():
            if isinstance(field, LinesField):  # every line in sight, and room for one more
                field.widget = forms.Textarea(attrs={**field.widget.attrs, "rows": max(3, len(self.initial.get(name) or []) + 1)})

    def common_templates(self) -> dict[str, list[str]]:
        return {tier: self.cleaned_data.get(_template_field(tier)) or [] for tier in Member.Tier.values}

    def changes(self) -> dict:
        """What the cadre changed, as the model's fields."""
        model_fields = {f.name for f in PledgeRules._meta.get_fields()}
        changes = {name: self.cleaned_data[name] for name in self.changed_data if name in model_fields}
        if any(_template_field(tier) in self.changed_data for tier in Member.Tier.values):
            changes["common_templates"] = {tier: texts for tier, texts in self.common_templates().items() if texts}
        return changes

    def clean(self):
        data = super().clean()
        model_fields = {f.name for f in PledgeRules._meta.concrete_fields} - {"id"}
        probe = PledgeRules(**{k: v for k, v in data.items() if k in model_fields})
        probe.common_templates = self.common_templates()
        try:
            services.check_rules(rules=probe)
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "common_templates" in exc.error_dict:
                self.add_error(None, exc.error_dict.pop("common_templates"))
            self.add_error(None, exc)  # Django places each field's messages on that field
        return data


# One list per member tier, declared on the form class: the console lays out declared fields.
for _tier, _label in Member.Tier.choices:
    RulesForm.base_fields[_template_field(_tier)] = RulesForm.declared_fields[_template_field(_tier)] = LinesField(
        label=format_lazy("{}{}", gettext_lazy("Common pledges: "), _label),
        help_text=gettext_lazy("One text per line, offered to members of this tier as their common pledges."),
    )


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
        services.rules_update(changes=form.changes())

    # A county viewer reads the rules as words, not stored codes and lists.
    def get_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return super().get_fields(request, obj)
        shown = {"areas": "areas_shown", "kinds": "kinds_shown", "review_checklist": "checklist_shown", "attachment_types": "file_types_shown"}
        names = [f.name for f in PledgeRules._meta.concrete_fields if f.name not in ("id", "common_templates", "updated_at")]
        return [shown.get(name, name) for name in names] + ["templates_shown"]

    def get_readonly_fields(self, request, obj=None):
        return [] if self.has_change_permission(request, obj) else self.get_fields(request, obj)

    @admin.display(description=gettext_lazy("areas in use"))
    def areas_shown(self, rules):
        return "、".join(str(Area(a).label) for a in rules.areas if a in Area.values)

    @admin.display(description=gettext_lazy("kinds in use"))
    def kinds_shown(self, rules):
        return "、".join(str(ItemKind(k).label) for k in rules.kinds if k in ItemKind.values)

    @admin.display(description=gettext_lazy("attachment types"))
    def file_types_shown(self, rules):
        return "、".join(_file_type(name) for name in rules.attachment_types)

    @admin.display(description=gettext_lazy("review checklist"))
    def checklist_shown(self, rules):
        return format_html_join("", "<div>{}</div>", ((point,) for point in rules.review_checklist)) or "—"

    @admin.display(description=gettext_lazy("common-pledge templates per tier"))
    def templates_shown(self, rules):
        tiers = dict(Member.Tier.choices)
        return format_html_join("", "<p><b>{}</b><br>{}</p>", (
            (tiers.get(tier, tier), "；".join(texts)) for tier, texts in (rules.common_templates or {}).items()
        )) or "—"


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


class ItemInline(ReadOnlyUnitInline):
    model = PledgeItem
    fields = ["number", "content", "area", "kind", "measures", "deadline", "state", "review_comment", "record_count", "closed_at", "verifier"]
    readonly_fields = fields
    short_fields = ("number", "area", "kind", "deadline", "state", "record_count", "verifier")
    ordering = ["position", "id"]

    def get_queryset(self, request):
        return selectors.items_named(super().get_queryset(request).select_related("closed_by"))

    @admin.display(description=gettext_lazy("No."))
    def number(self, item):
        return item.position + 1  # stored from 0

    @admin.display(description=gettext_lazy("verified by"))
    def verifier(self, item):
        return item.verifier_named or "—"


class EventInline(ReadOnlyUnitInline):
    model = PledgeEvent
    verbose_name_plural = gettext_lazy("history")
    fields = ["created_at", "action", "actor_shown", "item_shown", "comment"]
    readonly_fields = fields
    short_fields = ("created_at", "action", "actor_shown")
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return selectors.events_named(super().get_queryset(request).select_related("item"))

    @admin.display(description=gettext_lazy("by"))
    def actor_shown(self, event):
        return event.actor_named or _("the system")

    @admin.display(description=gettext_lazy("item"))
    def item_shown(self, event):
        return event.item.content if event.item_id else "—"


@admin.register(Pledge, site=unit_admin_site)
class PledgeAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["__str__", "subject", "organization", "state", "submitted_at", "published_at"]
    list_filter = ["round", "state", "subject"]
    search_fields = ["member__name", "organization__name", "title"]
    list_select_related = ["round", "member", "organization"]
    inlines = [ItemInline, EventInline]
    fields = [
        "round", "subject", "member", "organization", "co_members", "co_organizations", "title", "state",
        "reviewer_organization", "reviewer", "review_checklist", "submitted_at", "approved_at", "published_at",
        "created_by", "created_at", "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("review checklist"))
    def review_checklist(self, pledge):
        """The points the reviewer confirmed, one per line (stored as {point: true})."""
        points = [point for point, confirmed in (pledge.checklist or {}).items() if confirmed]
        if not points:
            return "—"
        return format_html_join("", "<div>✓ {}</div>", ((point,) for point in points))

    @admin.display(description=gettext_lazy("reviewer"))
    def reviewer(self, pledge):
        return selectors.reviewer_name(pledge=pledge) or "—"

    @admin.display(description=gettext_lazy("created by"))
    def created_by(self, pledge):
        return selectors.account_name(user_id=pledge.created_by_user_id) or "—"


def _files(attachments) -> str:
    """Links to photos and documents, served where the API serves them (to whoever may read them)."""
    return format_html_join("、", '<a href="{}" target="_blank">{}</a>', (
        (attachment_address(connection.tenant.slug, attachment.pk), attachment.name) for attachment in attachments
    )) or "—"


class RecordInline(ReadOnlyUnitInline):
    model = ProgressRecord
    fields = ["recorded_on", "author", "text", "files"]
    readonly_fields = fields
    short_fields = ("recorded_on", "author")
    ordering = ["recorded_on", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").prefetch_related("attachments")

    @admin.display(description=gettext_lazy("attachments"))
    def files(self, record):
        return _files(record.attachments.all())


@admin.register(PledgeItem, site=unit_admin_site)
class PledgeItemAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["content", "pledge", "kind", "area", "deadline", "state", "record_count", "last_record_on"]
    list_filter = ["state", "kind", "area", "pledge__round"]
    search_fields = ["content", "pledge__member__name"]
    list_select_related = ["pledge__round", "pledge__member", "pledge__organization"]
    fields = ["pledge", "number", "content", "area", "kind", "measures", "deadline", "expected_effect", "shortcoming", "state",
              "review_comment", "rectify_by", "record_count", "last_record_on", "closed_at", "verifier", "close_evidence", "close_files"]
    readonly_fields = fields
    inlines = [RecordInline]

    def get_queryset(self, request):
        return selectors.items_named(super().get_queryset(request))

    number = ItemInline.number
    verifier = ItemInline.verifier

    @admin.display(description=gettext_lazy("close-out evidence files"))
    def close_files(self, item):
        return _files(item.close_attachments.all())


@admin.register(ProgressRecord, site=unit_admin_site)
class ProgressRecordAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["recorded_on", "item", "author", "text"]
    list_select_related = ["item", "author"]
    date_hierarchy = "recorded_on"


@admin.register(Bulletin, site=unit_admin_site)
class BulletinAdmin(ReadOnlyUnitModelAdmin):
    list_display = ["period_shown", "organization", "round", "created_at"]
    list_select_related = ["organization", "round"]
    fields = ["round", "organization", "period_shown", "ahead", "behind", "members", "created_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("period"), ordering="period")
    def period_shown(self, bulletin):
        year, half = bulletin.period[:4], bulletin.period[4:]  # e.g. 2026H1
        return {"H1": _("first half of %(year)s"), "H2": _("second half of %(year)s")}.get(half, "%(year)s") % {"year": year} if half else bulletin.period

    @admin.display(description=gettext_lazy("ahead"))
    def ahead(self, bulletin):
        return "、".join(bulletin.figures.get("ahead") or []) or "—"

    @admin.display(description=gettext_lazy("behind"))
    def behind(self, bulletin):
        return "、".join(bulletin.figures.get("behind") or []) or "—"

    @admin.display(description=gettext_lazy("members' figures"))
    def members(self, bulletin):
        rows = bulletin.figures.get("members") or []
        if not rows:
            return "—"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("member"), _("items"), _("closed out"), _("overdue"), _("progress records"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
                (row.get("name", ""), row.get("items", 0), row.get("closed", 0), row.get("overdue", 0), row.get("records", 0)) for row in rows
            )),
        )
