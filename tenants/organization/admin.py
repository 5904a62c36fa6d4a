from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tenants.admin_sites import UnitModelAdmin, unit_admin_site

from accounts.models import ActivationCode

from . import identity, selectors, services
from .models import Member, Organization


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "kind", "parent", "secretary", "sort_order"]

    def clean(self):
        data = super().clean()
        if data.get("kind"):
            services.check_organization_placement(kind=data["kind"], parent=data.get("parent"), organization=self.instance if self.instance.pk else None)
        if data.get("secretary") and self.instance.pk:
            services.check_secretary(organization=self.instance, member=data["secretary"])
        return data


def _in_tree_order(organizations):
    """Organisations annotated with their place in the tree (`tree_position`) and depth (`tree_depth`)."""
    order = selectors.organization_tree_order()
    if not order:
        return organizations.annotate(tree_position=Value(0), tree_depth=Value(0))
    return organizations.annotate(
        tree_position=Case(*[When(pk=pk, then=position) for position, (pk, _depth) in enumerate(order)], default=len(order)),
        tree_depth=Case(*[When(pk=pk, then=depth) for pk, depth in order], default=0),
    )


class TreeChangeList(ChangeList):
    """The organisation list in the order of the tree (OrganizationAdmin.get_queryset's
    annotation); a column the reader sorts by still wins."""

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        return ordering if self.params.get("o") else ["tree_position", "id"]


@admin.register(Organization, site=unit_admin_site)
class OrganizationAdmin(UnitModelAdmin):
    form = OrganizationForm
    list_display = ["tree_name", "kind", "secretary", "sort_order"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["parent", "secretary"]
    autocomplete_fields = ["secretary"]

    def get_queryset(self, request):
        # The tree as it hangs (党委 → 党总支 → 党支部 → 党小组), each level in its own order.
        return _in_tree_order(super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The parent is chosen from the tree as it hangs, indented; a party group has no children.
        if db_field.name == "parent":
            kwargs["queryset"] = _in_tree_order(Organization.objects.exclude(kind=Organization.Kind.GROUP)).order_by("tree_position", "id")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent":
            field.label_from_instance = lambda organization: "\u3000" * organization.tree_depth + organization.name
        return field

    def get_changelist(self, request, **kwargs):
        return TreeChangeList

    @admin.display(description=_("organisation"))
    def tree_name(self, organization):
        depth = getattr(organization, "tree_depth", 0)
        return format_html('<span style="padding-left:{}em">{}{}</span>', 1.5 * depth, "└ " if depth else "", organization.name)

    def save_model(self, request, obj, form, change):
        fields = {k: form.cleaned_data.get(k) for k in form.Meta.fields}
        if change:
            services.organization_update(organization=obj, **fields)
        else:
            created = services.organization_create(name=fields["name"], kind=fields["kind"], parent=fields["parent"], sort_order=fields["sort_order"] or 0)
            obj.pk = created.pk

    def delete_model(self, request, obj):
        try:
            services.organization_delete(organization=obj)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level="error")


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["name", "gender", "birth_date", "joined_on", "phone", "post", "tier", "is_exempt", "branch", "group", "status"]

    def clean(self):
        data = super().clean()
        probe = Member(**{k: v for k, v in data.items() if k in self.Meta.fields})
        try:
            services.check_member(member=probe)
        except ValidationError as exc:
            self.add_error(None, exc)  # Django places each field's messages on that field
        return data


@admin.register(Member, site=unit_admin_site)
class MemberAdmin(UnitModelAdmin):
    form = MemberForm
    list_display = ["name", "gender", "branch", "post", "tier", "status", "is_exempt", "phone", "login_state"]
    actions = ["send_activation_sms", "print_activation_letters", "unlock_logins"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only what a member can belong to (check_member refuses the rest): a branch, and a
        # party group named with its branch (groups of different branches share names).
        if db_field.name == "branch":
            kwargs["queryset"] = Organization.objects.filter(kind=Organization.Kind.BRANCH).order_by("sort_order", "name")
        elif db_field.name == "group":
            kwargs["queryset"] = Organization.objects.filter(kind=Organization.Kind.GROUP).select_related("parent").order_by("parent__sort_order", "parent__name", "sort_order", "name")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "group":
            field.label_from_instance = lambda group: f"{group.parent.name} · {group.name}"
        return field

    def lookup_allowed(self, lookup, value, request=None):
        # Which identity a member is linked to (or whether) must not be probed with ?user=… filters.
        if lookup.split("__")[0] in ("user", "login_activated_at"):
            return False
        return super().lookup_allowed(lookup, value, request)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" goes through the same service as one deletion (roles, pending links).
        for member in queryset:
            self.delete_model(request, member)
    list_filter = ["status", "tier", "gender", "is_exempt", ("branch", admin.RelatedOnlyFieldListFilter)]  # branches, not every organisation
    search_fields = ["name", "phone", "post"]
    list_select_related = ["branch"]
    list_per_page = 50

    def save_model(self, request, obj, form, change):
        fields = {k: form.cleaned_data.get(k) for k in form.Meta.fields}
        unit = request.unit
        if change:
            services.member_update(member=obj, unit=unit, **fields)
        else:
            obj.pk = services.member_create(unit=unit, **fields).pk

    def delete_model(self, request, obj):
        try:
            services.member_delete(member=obj, unit=request.unit)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level="error")

    @admin.display(description=_("login"))
    def login_state(self, member):
        return {"none": _("no mobile number"), "pending": _("not activated"), "active": _("activated")}[identity.member_login_state(member)]

    def _issue(self, request, queryset, method):
        issued, refused = [], []
        for member in queryset.order_by("branch_id", "name"):
            try:
                issued.append((member, identity.member_activation_issue(member=member, unit=request.unit, method=method, by=request.user)))
            except ValidationError as exc:
                refused.append(f"{member.name}: {'; '.join(exc.messages)}")
        for line in refused:
            self.message_user(request, line, level=messages.WARNING)
        return issued

    @admin.action(description=_("Send an activation code by SMS"), permissions=["change"])
    def send_activation_sms(self, request, queryset):
        issued = self._issue(request, queryset, ActivationCode.Method.SMS)
        self.message_user(request, _("Activation codes sent by SMS to %(n)d members. Each member sets their own password with the code in the Jiannuo app.") % {"n": len(issued)}, messages.SUCCESS)
        for member, code in issued:
            if code.code:  # the demo only: there is no real SMS, the code is shown here
                self.message_user(request, _("Demo only — the SMS to %(phone)s (%(name)s) says: %(code)s") % {"phone": code.phone, "name": member.name, "code": code.code}, messages.INFO)

    @admin.action(description=_("Print activation letters (codes to hand over in person)"), permissions=["change"])
    def print_activation_letters(self, request, queryset):
        issued = self._issue(request, queryset, ActivationCode.Method.HANDOVER)
        return render(request, "organization/activation_letters.html", {"unit": request.unit, "letters": issued})

    @admin.action(description=_("Unlock logins (after too many wrong passwords)"), permissions=["change"])
    def unlock_logins(self, request, queryset):
        for member in queryset:
            identity.member_unlock(member=member)
        self.message_user(request, _("Unlocked: %(n)d members.") % {"n": queryset.count()}, messages.SUCCESS)
