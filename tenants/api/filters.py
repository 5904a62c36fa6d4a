"""Query-string filters for every list: integers are parsed as integers.

django-filter's default for integer columns is a decimal field, which accepts numbers
like `-1E+300000` whose conversion takes seconds of CPU; here such input is a 400.
"""
from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend

MAX_ID = 2**63 - 1  # the largest bigint


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -MAX_ID)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(IntegerFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


def parse_id(raw: str | None) -> int | None:
    """An id from a query string, or None when it cannot be one (ASCII digits, in range)."""
    if raw is None or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


INTEGER_FIELDS = (
    models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField, models.BigIntegerField,
    models.SmallIntegerField, models.PositiveIntegerField, models.PositiveBigIntegerField, models.PositiveSmallIntegerField,
)


class FilterSet(django_filters.rest_framework.FilterSet):
    """django-filter's FilterSet, with its form class made once per filter set rather than on
    every request. The project's filters build their form fields from their declaration alone
    (nothing from the request), so every request's form is the same class; forms copy their
    fields per instance anyway."""

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        **{field: {"filter_class": IntegerFilter} for field in INTEGER_FIELDS},
    }

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet
