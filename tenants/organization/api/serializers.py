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


class UnitMeSerializer(serializers.Serializer):
    unit = serializers.DictField()
    roles = serializers.ListField(child=Text())
    member = MemberSerializer(allow_null=True)
    secretary_of = OrganizationSerializer(many=True)
