"""Evaluation reads, in the caller's unit (the routing has switched to its schema)."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import Evaluation


def evaluation_list() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("round")
