"""The base of every model serializer in the project."""
from __future__ import annotations

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with its fields worked out from the model once per class.

    DRF introspects the model and builds every field again for each serializer instance —
    for each nested serializer of a detail view, on every request. The result depends only
    on the class (its Meta and declared fields; nothing here builds fields from the request),
    so it is built once and each instance gets a copy, as DRF does for declared fields."""

    def get_fields(self):
        prototype = type(self).__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            type(self)._fields_prototype = prototype
        return copy.deepcopy(prototype)
