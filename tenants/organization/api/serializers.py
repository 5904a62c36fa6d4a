from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tenants.api.serializers import ModelSerializer
from tenants.api.fields import Text

from ..identity import member_login_state
from ..models import Member, Organization


class OrganizationSerializer(ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    secretary_name = Text(source="secretary.name", read_only=True, default=None)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "parent", "secretary", "secretary_name", "sort_order", "member_count", "created_at"]
        read_only_fields = ["created_at"]


class LedOrganizationSerializer(OrganizationSerializer):
    """An organisation the caller is secretary of, as `/me` lists it (no member count)."""

    class Meta(OrganizationSerializer.Meta):
        fields = [f for f in OrganizationSerializer.Meta.fields if f != "member_count"]


class MemberSerializer(ModelSerializer):
    branch_name = Text(source="branch.name", read_only=True)
    group_name = Text(source="group.name", read_only=True, default=None)
    login = serializers.SerializerMethodField(help_text="none: no mobile number; pending: not activated yet; active: the member has set a password")

    class Meta:
        model = Member
        fields = [
            "id", "name", "gender", "birth_date", "joined_on", "phone", "post", "tier", "is_exempt",
            "branch", "branch_name", "group", "group_name", "status", "login", "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is a business rule checked by the service (with a translated message).
        validators = []

    def get_login(self, member) -> str:
        return member_login_state(member)


class MemberImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("An .xlsx file in the layout of the export."))


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = Text()
    message = Text()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)


class ImportRefusalSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = Text(help_text="import_rejected: rows to fix; invalid: the upload itself (see fields)")
    message = Text()
    rows = ImportErrorSerializer(many=True, required=False, help_text=_("The rows to fix; nothing was imported."))
    fields = serializers.DictField(child=serializers.ListField(child=Text()), required=False)


class ImportRejectedSerializer(serializers.Serializer):
    """The error envelope of a refused import: the rows to fix, or the fields of a bad upload."""

    error = ImportRefusalSerializer()


class MeUnitBriefSerializer(serializers.Serializer):
    slug = Text()
    name = Text()
    kind = Text()


class UnitMeSerializer(serializers.Serializer):
    unit = MeUnitBriefSerializer()
    roles = serializers.ListField(child=Text())
    member = MemberSerializer(allow_null=True)
    secretary_of = LedOrganizationSerializer(many=True)
