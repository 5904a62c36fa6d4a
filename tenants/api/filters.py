"""Query-string filters for every list: integers are parsed as integers.

django-filter's default for integer columns is a decimal field, which accepts numbers
like `-1E+300000` whose conversion takes seconds of CPU; here such input is a 400.
"""
from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ValidationError

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


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no) — anything else is refused, where django-filter's own boolean
    filter reads an unknown value as "no filter" and answers the whole list."""

    widget = forms.TextInput
    default_error_messages = {"invalid": gettext_lazy("Enter true or false.")}
    VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=` names only the fields a list orders by: an unknown one is a 400 naming the
    choices, not silently dropped."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        invalid = [term for term in fields if term and term not in valid]
        if invalid:
            allowed = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
            raise ValidationError({self.ordering_param: [_("Cannot order by %(fields)s. Choose from: %(allowed)s.") % {
                "fields": ", ".join(invalid), "allowed": ", ".join(allowed)}]})
        return valid


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
        models.BooleanField: {"filter_class": BooleanFilter},
    }

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet
