from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from jiannuo.admin_sites import UnitModelAdmin, unit_admin_site

from . import services
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


@admin.register(Organization, site=unit_admin_site)
class OrganizationAdmin(UnitModelAdmin):
    form = OrganizationForm
    list_display = ["name", "kind", "parent", "secretary", "sort_order"]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["parent", "secretary"]
    autocomplete_fields = ["secretary"]

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
    list_display = ["name", "gender", "branch", "post", "tier", "status", "is_exempt", "phone"]
    list_filter = ["status", "tier", "gender", "is_exempt", "branch"]
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
