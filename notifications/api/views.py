"""The caller's in-app inbox in this unit."""
from django.utils import timezone
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api.formats import datetimes
from tenants.api.serializers import ModelSerializer
from tenants.api.units import UnitScopedMixin

from ..models import Notification
from ..selectors import inbox_of, inbox_rows


class NotificationSerializer(ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "created_at", "read_at"]


@extend_schema_view(get=extend_schema(summary="我的消息 / My inbox"))
class NotificationList(UnitScopedMixin, generics.ListAPIView):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema generator; requests use get_queryset
    filterset_fields = {"read_at": ["isnull"]}

    def scoped_queryset(self, caller):
        return inbox_of(user_id=caller.user_id)

    def list(self, request, *args, **kwargs):
        # The inbox needs only who is calling (the routing decision's user), not their
        # member record: a compiled read of the page and its count, in one statement.
        # read_at__isnull as its filter reads it (the same widget: true/false/1/0, anything else ignored).
        unread = BooleanWidget().value_from_datadict(request.query_params, {}, "read_at__isnull")
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
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)
