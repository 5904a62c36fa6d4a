"""Reads of the audit trail (current unit's schema, or the platform's in public)."""
from django.db.models import QuerySet

from .models import AuditEntry


def audit_trail() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.all()
