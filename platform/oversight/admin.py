from django import forms
from django.contrib import admin

from tenants.admin_sites import PlatformModelAdmin, platform_admin_site

from tenants.models import Jurisdiction
from .selectors import jurisdictions_visible_to
from tenants.services import check_jurisdiction_placement


class JurisdictionForm(forms.ModelForm):
    class Meta:
        model = Jurisdiction
        fields = ["name", "code", "level", "parent"]

    def clean(self):
        data = super().clean()
        if data.get("level"):
            check_jurisdiction_placement(level=data["level"], parent=data.get("parent"))
        return data


@admin.register(Jurisdiction, site=platform_admin_site)
class JurisdictionAdmin(PlatformModelAdmin):
    form = JurisdictionForm
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]

    def get_queryset(self, request):
        return jurisdictions_visible_to(request.user).select_related("parent")
