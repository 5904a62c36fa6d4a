"""Organisation tree and member roll over the API. Thin: input serializer → service → output."""
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api.units import UnitAdminOnly, UnitScopedMixin

from accounts.models import ActivationCode
from tenants.api.fields import Text

from .. import identity, selectors, services
from ..excel import ImportRejected, members_export, members_import
from ..models import Member, Organization
from .serializers import (
    ImportRejectedSerializer, ImportReportSerializer, LedOrganizationSerializer, MemberImportSerializer, MemberSerializer,
    OrganizationSerializer, UnitMeSerializer,
)


@extend_schema_view(get=extend_schema(summary="组织列表 / Organisations"), post=extend_schema(summary="新建组织 / Add an organisation"))
class OrganizationList(UnitScopedMixin, generics.ListCreateAPIView):
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind", "parent"]
    search_fields = ["name"]
    ordering_fields = ["sort_order", "name", "id"]
    pagination_class = None  # a unit's tree is small and clients draw it whole

    queryset = Organization.objects.none()  # for the schema generator

    def scoped_queryset(self, caller):
        return selectors.organization_list().order_by("sort_order", "id")  # the tree is the unit's own, shown to all in it

    def perform_create(self, serializer):
        data = serializer.validated_data
        organization = services.organization_create(
            name=data["name"], kind=data["kind"], parent=data.get("parent"), sort_order=data.get("sort_order", 0)
        )
        serializer.instance = selectors.organization_list().get(pk=organization.pk)


@extend_schema_view(get=extend_schema(summary="组织详情 / An organisation"), put=extend_schema(summary="修改组织 / Change an organisation"), patch=extend_schema(summary="修改组织（部分） / Change part of an organisation"), delete=extend_schema(summary="删除组织 / Delete an organisation"))
class OrganizationDetail(UnitScopedMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = OrganizationSerializer

    def scoped_queryset(self, caller):
        return selectors.organization_list()

    def perform_update(self, serializer):
        services.organization_update(organization=serializer.instance, **serializer.validated_data)
        serializer.instance = selectors.organization_list().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.organization_delete(organization=instance)


@extend_schema_view(get=extend_schema(summary="党员名册 / Members"), post=extend_schema(summary="新增党员 / Add a member"))
class MemberList(UnitScopedMixin, generics.ListCreateAPIView):
    serializer_class = MemberSerializer
    queryset = Member.objects.none()  # for the schema generator; requests use get_queryset
    filterset_fields = ["branch", "group", "status", "tier", "gender", "is_exempt"]
    search_fields = ["name", "phone", "post"]
    ordering_fields = ["name", "joined_on", "birth_date", "id"]

    def scoped_queryset(self, caller):
        return selectors.member_list_for(caller=caller).order_by("branch_id", "name", "id")

    def perform_create(self, serializer):
        serializer.instance = services.member_create(unit=self.unit, **serializer.validated_data)


@extend_schema_view(get=extend_schema(summary="党员信息 / A member"), put=extend_schema(summary="修改党员信息 / Change a member"), patch=extend_schema(summary="修改党员信息（部分） / Change part of a member"), delete=extend_schema(summary="删除党员 / Delete a member"))
class MemberDetail(UnitScopedMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = MemberSerializer

    def scoped_queryset(self, caller):
        return selectors.member_list_for(caller=caller)

    def perform_update(self, serializer):
        serializer.instance = services.member_update(member=serializer.instance, unit=self.unit, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.member_delete(member=instance, unit=self.unit)


@extend_schema_view(post=extend_schema(summary="从 Excel 导入党员 / Import members from Excel"))
class MemberImport(UnitScopedMixin, APIView):
    permission_classes = [UnitAdminOnly]
    parser_classes = [MultiPartParser]

    @extend_schema(request=MemberImportSerializer, responses={201: ImportReportSerializer, 400: ImportRejectedSerializer})
    def post(self, request):
        form = MemberImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            report = members_import(content=form.validated_data["file"].read(), unit=self.unit)
        except ImportRejected as rejected:
            body = {
                "error": {
                    "status": 400,
                    "code": "import_rejected",
                    "message": _("Nothing was imported: %(n)d problems found. Fix the rows listed and upload the file again.") % {"n": len(rejected.report.errors)},
                    "rows": rejected.report.as_dict()["errors"],
                }
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(report.as_dict(), status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(summary="导出党员名册 Excel / Export members as Excel"))
class MemberExport(UnitScopedMixin, APIView):
    permission_classes = [UnitAdminOnly]

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY})
    def get(self, request):
        members = selectors.member_list_for(caller=self.caller).order_by("branch__sort_order", "branch_id", "name", "id")
        content = members_export(members=members.iterator(chunk_size=2000))
        response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        filename = f"members-{self.unit.slug}-{timezone.localdate():%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@extend_schema_view(get=extend_schema(summary="我在本单位的身份 / Who I am in this unit"))
class UnitMe(UnitScopedMixin, APIView):
    """Who am I in this unit: roles, member profile, organisations I am secretary of."""

    @extend_schema(responses=UnitMeSerializer)
    def get(self, request):
        caller = self.caller
        led = selectors.organizations_led_by(caller=caller)
        body = {
            "unit": {"slug": self.unit.slug, "name": self.unit.name, "kind": self.unit.kind},
            "roles": sorted(self.access.roles) + (["secretary"] if caller.led_ids else []),
            "member": MemberSerializer(caller.member).data if caller.member else None,
            "secretary_of": LedOrganizationSerializer(led, many=True).data,
        }
        return Response(body)


class ActivationRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=ActivationCode.Method.choices, default=ActivationCode.Method.SMS)


class ActivationIssuedSerializer(serializers.Serializer):
    method = Text()
    phone = Text(help_text="The member's number, masked (the SMS went there; the letter is for it)")
    expires_at = serializers.DateTimeField()
    code = Text(allow_null=True, help_text="The code to hand over (method handover; SMS codes only in the demo)")


@extend_schema_view(post=extend_schema(summary="开通党员登录 / Start a member's login activation"))
class MemberActivation(UnitScopedMixin, APIView):
    """Start a member's login activation: a one-time code by SMS to the member's phone
    (`sms`), or a code to hand over in person (`handover`). The member then sets their own
    password with it (`POST /api/v1/auth/activate/`). Nobody else ever sets it."""

    permission_classes = [UnitAdminOnly]

    @extend_schema(request=ActivationRequestSerializer, responses={201: ActivationIssuedSerializer})
    def post(self, request, pk: int):
        member = generics.get_object_or_404(selectors.member_list_for(caller=self.caller), pk=pk)
        form = ActivationRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        issued = identity.member_activation_issue(member=member, unit=self.unit, method=form.validated_data["method"], by=request.user)
        return Response(ActivationIssuedSerializer(issued).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(summary="解锁账号 / Unlock a member's account"))
class MemberUnlock(UnitScopedMixin, APIView):
    """Unlock a member's account after too many wrong passwords."""

    permission_classes = [UnitAdminOnly]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk: int):
        member = generics.get_object_or_404(selectors.member_list_for(caller=self.caller), pk=pk)
        identity.member_unlock(member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)
