"""County notices: sent from a jurisdiction to its units, followed unit by unit and organisation by organisation."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.audience import ROLE_CHOICES
from notifications.models import Channel
from notifications.services import MAX_BODY, MAX_TITLE
from tenants.api.fields import Text
from tenants.api.serializers import ModelSerializer

from ..models import CountyNotice, CountyNoticeUnit
from ..notices import county_notice_remind, county_notice_send, county_notice_units, county_notices_visible



class CountyNoticeSerializer(ModelSerializer):
    jurisdiction_name = Text(source="jurisdiction.name")
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    units_total = serializers.IntegerField(help_text="收到通知的单位数 / units addressed")
    units_delivered = serializers.IntegerField(help_text="已送达的单位数 / units where it has been delivered")
    recipients = serializers.IntegerField(source="recipients_total")
    delivered = serializers.IntegerField(source="delivered_total")
    read = serializers.IntegerField(source="read_total")

    class Meta:
        model = CountyNotice
        fields = ["id", "jurisdiction", "jurisdiction_name", "title", "body", "urgent", "channels", "role", "whole_jurisdiction",
                  "reminders", "reminded_at", "created_at", "units_total", "units_delivered", "recipients", "delivered", "read"]


class OrganisationReadSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = Text()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()


class CountyNoticeUnitSerializer(ModelSerializer):
    slug = Text(source="unit.slug")
    name = Text(source="unit.name")
    status = serializers.ChoiceField(choices=CountyNoticeUnit.Status.choices)
    by_organisation = OrganisationReadSerializer(many=True)

    class Meta:
        model = CountyNoticeUnit
        fields = ["slug", "name", "status", "recipients", "delivered", "read", "delivered_at", "by_organisation", "updated_at"]


class CountyNoticeDetailSerializer(CountyNoticeSerializer):
    units = serializers.SerializerMethodField()

    class Meta(CountyNoticeSerializer.Meta):
        fields = CountyNoticeSerializer.Meta.fields + ["units"]

    @extend_schema_field(CountyNoticeUnitSerializer(many=True))

    def get_units(self, notice) -> list:
        return CountyNoticeUnitSerializer(county_notice_units(notice), many=True).data


class CountyNoticeSendSerializer(serializers.Serializer):
    title = Text(max_length=MAX_TITLE)
    body = Text(max_length=MAX_BODY, required=False, allow_blank=True, default="")
    units = serializers.ListField(child=Text(max_length=63), required=False, allow_null=True, default=None,
                                  help_text="单位标识；省略则发给辖区内全部单位 / unit slugs; leave out for every unit of the jurisdiction")
    role = Text(max_length=20, required=False, default="members", help_text="members、secretaries 或 unit_admins")
    channels = serializers.ListField(child=Text(max_length=20), required=False, default=list, max_length=10)
    urgent = serializers.BooleanField(required=False, default=False)
    jurisdiction = serializers.IntegerField(required=False, allow_null=True, default=None,
                                            help_text="发文的辖区；只管理一个辖区时可省略 / the jurisdiction sending; optional with only one")


@extend_schema_view(get=extend_schema(summary="辖区通知 / The jurisdiction's notices"))
class CountyNoticeList(generics.ListAPIView):
    serializer_class = CountyNoticeSerializer
    queryset = CountyNotice.objects.none()
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return county_notices_visible(self.request.user).order_by("-created_at", "-id")

    @extend_schema(summary="向下属单位发通知 / Send a notice to the units",
                   description="发给辖区内全部或选定单位、某一角色；每个单位由一个任务在本单位内确定收件人并逐批写入，"
                               "发送者可逐级查看送达和阅读情况。\n\nTo every or chosen unit of the jurisdiction, to everyone or a role; "
                               "each unit resolves its recipients in a task of its own; the sender follows delivery and reads level by level.",
                   request=CountyNoticeSendSerializer, responses={202: CountyNoticeDetailSerializer})
    def post(self, request):
        form = CountyNoticeSendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        notice = county_notice_send(user=request.user, title=data["title"], body=data["body"], units=data["units"], role=data["role"],
                                    channels=data["channels"], urgent=data["urgent"], jurisdiction_id=data["jurisdiction"])
        notice = county_notices_visible(request.user).get(pk=notice.pk)
        return Response(CountyNoticeDetailSerializer(notice).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": f"/api/v1/oversight/notices/{notice.pk}/"})


@extend_schema_view(get=extend_schema(summary="通知送达与阅读（逐单位、逐组织） / A notice's delivery and reads, unit by unit"))
class CountyNoticeDetail(generics.RetrieveAPIView):
    serializer_class = CountyNoticeDetailSerializer
    queryset = CountyNotice.objects.none()
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return county_notices_visible(self.request.user)


class CountyNoticeRemind(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="提醒未读人员 / Remind those who have not read it", request=None, responses={202: CountyNoticeDetailSerializer})
    def post(self, request, pk: int):
        notice = get_object_or_404(county_notices_visible(request.user), pk=pk)
        county_notice_remind(notice=notice, user=request.user)
        return Response(CountyNoticeDetailSerializer(county_notices_visible(request.user).get(pk=pk)).data, status=status.HTTP_202_ACCEPTED)
