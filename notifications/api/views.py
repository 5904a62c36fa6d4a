"""The caller's in-app inbox, their notification preferences, and the notices sent in this unit."""
from django.shortcuts import get_object_or_404
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from django.utils.translation import gettext as _
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api.fields import JSON, Text
from tenants.api.filters import FilterBackend, StrictBooleanField
from tenants.api.formats import datetimes
from tenants.api.idempotency import IdempotentPostMixin
from tenants.api.serializers import ModelSerializer
from tenants.api.units import UnitScopedMixin

from .. import services
from ..audience import KIND_CHOICES, ROLE_CHOICES
from ..models import Channel, Notice, Notification, Preference
from ..selectors import inbox_of, inbox_rows, inbox_unread_count, notice_counts, notices_visible, preference_of


class NotificationSerializer(ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "created_at", "read_at"]


@extend_schema_view(get=extend_schema(summary="我的消息 / My inbox"))
class NotificationList(UnitScopedMixin, generics.ListAPIView):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema generator; requests use get_queryset
    filterset_fields = {"read_at": ["isnull"]}
    filter_backends = [FilterBackend]  # the inbox is newest first; no other order, no search

    def scoped_queryset(self, caller):
        return inbox_of(user_id=caller.user_id)

    def list(self, request, *args, **kwargs):
        # The inbox needs only who is calling (the routing decision's user), not their
        # member record: a compiled read of the page and its count, in one statement.
        # read_at__isnull as its filter reads it: true/false (1/0, yes/no), anything else a 400.
        try:
            unread = StrictBooleanField(required=False).clean(request.query_params.get("read_at__isnull"))
        except DjangoValidationError as exc:
            raise ValidationError({"read_at__isnull": exc.messages})
        page = self.paginate_queryset(inbox_rows(user_id=self.access.user_id, unread=unread))
        dt = datetimes()
        return self.get_paginated_response([{**n, "created_at": dt(n["created_at"]), "read_at": dt(n["read_at"])} for n in page])


@extend_schema_view(post=extend_schema(summary="标为已读 / Mark as read"))
class NotificationRead(UnitScopedMixin, APIView):
    # Marking one's own message read is allowed to every role, county viewers included.
    permission_classes = []

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, pk: int):
        notification = generics.get_object_or_404(inbox_of(user_id=self.caller.user_id), pk=pk)
        return Response(NotificationSerializer(services.inbox_read(user_id=self.caller.user_id, notification=notification)).data)


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class InboxUnreadCount(UnitScopedMixin, APIView):
    permission_classes = []

    @extend_schema(summary="未读消息数 / Unread messages", responses=UnreadCountSerializer)
    def get(self, request):
        return Response({"unread": inbox_unread_count(user_id=self.access.user_id)})


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="标为已读的消息数 / Messages marked read")


class InboxReadAll(UnitScopedMixin, APIView):
    permission_classes = []

    @extend_schema(summary="全部标为已读 / Mark all as read", request=None, responses=MarkedReadSerializer)
    def post(self, request):
        return Response({"marked": services.inbox_read_all(user_id=self.access.user_id)})


class PreferenceSerializer(ModelSerializer):
    class Meta:
        model = Preference
        fields = ["email", "sms", "quiet_from", "quiet_until", "digest"]


class NotificationPreferences(UnitScopedMixin, APIView):
    """How the caller wants notices in this unit: e-mail and SMS on or off, quiet hours (urgent
    notices still come through), and a daily digest of routine reminders."""

    permission_classes = []

    @extend_schema(summary="我的通知设置 / My notification settings", responses=PreferenceSerializer)
    def get(self, request):
        return Response(PreferenceSerializer(preference_of(user_id=self.access.user_id)).data)

    @extend_schema(summary="修改通知设置 / Change notification settings", request=PreferenceSerializer, responses=PreferenceSerializer)
    def patch(self, request):
        form = PreferenceSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        return Response(PreferenceSerializer(services.preference_update(user_id=self.access.user_id, changes=form.validated_data)).data)


# --- Notices ---------------------------------------------------------------------------------------

class AudienceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    organisations = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="组织 id（含其下级）/ organisation ids (and all below)")
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False, default="members")


class NoticeSerializer(ModelSerializer):
    audience = AudienceSerializer()
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))

    class Meta:
        model = Notice
        fields = ["id", "kind", "title", "body", "urgent", "channels", "audience", "sender_name", "created_at", "fanned_out_at", "recipients", "reminder_of"]


class NoticeSendSerializer(serializers.Serializer):
    title = Text(max_length=services.MAX_TITLE)
    body = Text(max_length=services.MAX_BODY, required=False, allow_blank=True, default="")
    audience = JSON(help_text="{kind: unit|organisations, organisations: [id], role: members|secretaries|unit_admins}")
    channels = serializers.ListField(child=Text(max_length=20), required=False, default=list, max_length=10,
                                     help_text="站内信总会送达；另可选 email、sms、wecom、dingtalk / the inbox always; also email, sms, wecom, dingtalk")
    urgent = serializers.BooleanField(required=False, default=False, help_text="紧急：免打扰时段也发送 / urgent: sent during quiet hours too")


class OrganisationCountsSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = Text()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()


class ChannelCountsSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    pending = serializers.IntegerField()
    digest = serializers.IntegerField()
    sending = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()


class NoticeCountsSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()
    unread = serializers.IntegerField()
    fanned_out_at = serializers.DateTimeField(allow_null=True)
    by_organisation = OrganisationCountsSerializer(many=True)
    by_channel = ChannelCountsSerializer(many=True)


class NoticeDetailSerializer(NoticeSerializer):
    counts = serializers.SerializerMethodField()

    class Meta(NoticeSerializer.Meta):
        fields = NoticeSerializer.Meta.fields + ["counts"]

    @extend_schema_field(NoticeCountsSerializer)
    def get_counts(self, notice) -> dict:
        return NoticeCountsSerializer(notice_counts(notice)).data


@extend_schema_view(get=extend_schema(summary="已发通知 / Notices sent"))
class NoticeList(UnitScopedMixin, IdempotentPostMixin, generics.ListAPIView):
    """Notices sent in this unit (unit admins see all, secretaries their own); send one."""

    serializer_class = NoticeSerializer
    queryset = Notice.objects.none()
    write_roles = ("member",)  # secretaries are members; the service checks they lead what they address

    def scoped_queryset(self, caller):
        return notices_visible(caller)

    def get(self, request, *args, **kwargs):
        if not (self.caller.sees_everything or self.caller.led_ids):
            raise PermissionDenied(_("Only unit admins and secretaries send notices."))
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="发送通知 / Send a notice",
                   description="单位管理员可发给全单位、选定组织或某一角色；书记可发给所领导的组织。收件人在单位内由任务确定，"
                               "每人每个渠道只送达一次。\n\nA unit admin sends to the unit, chosen organisations or a role; a secretary to "
                               "the organisations they lead. Recipients are resolved in the unit by a task; each person gets it once per channel.",
                   request=NoticeSendSerializer, responses={201: NoticeSerializer})
    def post(self, request):
        form = NoticeSendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        notice = services.notice_send(who=self.caller, **form.validated_data)
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(summary="通知送达与阅读情况 / A notice's delivery and reads"))
class NoticeDetail(UnitScopedMixin, generics.RetrieveAPIView):
    serializer_class = NoticeDetailSerializer
    queryset = Notice.objects.none()

    def scoped_queryset(self, caller):
        return notices_visible(caller)


class NoticeRemind(UnitScopedMixin, APIView):
    write_roles = ("member",)

    @extend_schema(summary="提醒未读人员 / Remind those who have not read it", request=None, responses={201: NoticeSerializer})
    def post(self, request, pk: int):
        notice = get_object_or_404(notices_visible(self.caller), pk=pk)
        return Response(NoticeSerializer(services.notice_remind(notice=notice, who=self.caller)).data, status=status.HTTP_201_CREATED)
