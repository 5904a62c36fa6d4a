from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.admin_sites import PlatformModelAdmin, platform_admin_site
from accounts.access import units_overseen_by

from . import services
from .models import Jurisdiction, Unit


class CountyFilter(admin.SimpleListFilter):
    """Only the counties whose units the caller oversees (all, for operators)."""

    title = _("county")
    parameter_name = "county"

    def lookups(self, request, model_admin):
        counties = Jurisdiction.objects.filter(pk__in=units_overseen_by(request.user).values("county_id")).order_by("name")
        return [(str(county.pk), county.name) for county in counties]

    def queryset(self, request, queryset):
        return queryset.filter(county_id=self.value()) if self.value() else queryset


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "slug", "kind", "county"]
        # The model's "/u/<slug>/" would reach the page as a tag (the admin does not escape help texts).
        help_texts = {"slug": _("Appears in the unit's addresses, e.g. /u/hongxing/ for hongxing: 2–39 lowercase letters, "
                                "digits or hyphens, starting with a letter.")}


class UnitCreationForm(UnitForm):
    first_admin = forms.CharField(
        label=_("first unit admin"), max_length=150, required=False,
        help_text=_("Username or mobile number of the person who will run the unit. An existing account is given "
                    "the role; for a new one, a one-time password is shown once, to hand over in person."),
    )

    def clean_first_admin(self):
        from accounts.services import check_unit_admin_login

        login = self.cleaned_data["first_admin"].strip()
        if login:
            try:  # before the unit is made, not after
                login = check_unit_admin_login(login=login)
            except ValidationError as exc:
                raise ValidationError(exc.messages)
        return login


@admin.register(Unit, site=platform_admin_site)
class UnitAdmin(PlatformModelAdmin):
    list_display = ["name", "slug", "kind", "county", "status", "console"]
    list_filter = ["kind", "status", CountyFilter]
    search_fields = ["name", "slug"]
    list_select_related = ["county"]
    fields = ["name", "slug", "kind", "county", "status", "schema", "created_at"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = UnitCreationForm if obj is None else UnitForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["name", "slug", "kind", "county", "first_admin"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["slug", "schema", "status", "created_at", "county"]

    @admin.display(description=_("database schema"))
    def schema(self, obj):
        return obj.schema_name

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
        login = form.cleaned_data.get("first_admin")
        if login:
            from accounts.services import unit_admin_grant

            try:
                admin_user, password = unit_admin_grant(unit=created, login=login)
            except ValidationError as exc:
                self.message_user(request, gettext("The unit was created, but not its admin: %(why)s") % {"why": " ".join(exc.messages)}, messages.ERROR)
                return
            if password:
                self.message_user(request, gettext(
                    "%(login)s is the unit's admin, with a new account. One-time password, shown only now: %(password)s — "
                    "hand it over in person; the console asks them for a password of their own when they first sign in.") % {"login": admin_user.username, "password": password},
                    messages.WARNING)
            else:
                self.message_user(request, gettext("%(login)s is the unit's admin.") % {"login": admin_user.username})
