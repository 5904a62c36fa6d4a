"""The base of every model serializer in the project."""
from __future__ import annotations

import copy

from django.db import models
from rest_framework import serializers

from tenants.api.fields import JSON, URL, Email, Related, Slug, Text


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with the project's input fields (tenants.api.fields) and its fields
    worked out from the model once per class.

    DRF introspects the model and builds every field again for each serializer instance —
    for each nested serializer of a detail view, on every request. The result depends only
    on the class (its Meta and declared fields; nothing here builds fields from the request),
    so it is built once and each instance gets a copy, as DRF does for declared fields.

    The copy is shallow for plain fields: binding a field to its serializer only sets its own
    attributes, while DRF's deep copy builds each field again from its arguments (half a
    millisecond per serializer of twenty fields). Nested serializers and fields holding a
    child field are bound along with their children, so those are copied deeply."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: Text, models.TextField: Text, models.SlugField: Slug, models.EmailField: Email,
        models.URLField: URL, models.JSONField: JSON,
    }
    serializer_related_field = Related

    def get_fields(self):
        prototype = type(self).__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            type(self)._fields_prototype = prototype
        return {name: copy.deepcopy(field) if _holds_fields(field) else copy.copy(field) for name, field in prototype.items()}

    def to_representation(self, instance):
        # DRF leaves a field with a default (a name read through an empty relation) out of a
        # partial update's answer; an answer has one shape whatever the request was.
        partial, self.partial = self.partial, False
        try:
            return super().to_representation(instance)
        finally:
            self.partial = partial


def _holds_fields(field) -> bool:
    return isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation")
