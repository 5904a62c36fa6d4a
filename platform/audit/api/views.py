from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers

from tenants.api.serializers import ModelSerializer
from tenants.api.units import UnitAdminOnly, UnitScopedMixin

from ..models import AuditEntry
from ..selectors import audit_trail


class AuditEntrySerializer(ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_id", "actor_label", "action", "model", "object_id", "object_repr", "before", "after"]


@extend_schema_view(get=extend_schema(summary="操作留痕 / The unit's audit trail"))
class AuditEntryList(UnitScopedMixin, generics.ListAPIView):
    """The unit's audit trail (read-only; entries cannot be changed through the application)."""

    permission_classes = [UnitAdminOnly]
    serializer_class = AuditEntrySerializer
    filterset_fields = ["model", "object_id", "action", "actor_id"]

    queryset = AuditEntry.objects.none()  # for the schema generator

    def scoped_queryset(self, caller):
        return audit_trail()  # UnitAdminOnly: the unit's admins (and viewers from above) read the whole trail
