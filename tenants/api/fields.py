"""The API's input fields: DRF's, refusing what DRF would guess at.

DRF turns a number sent for a text into that number's digits (`0` is stored as "0"), an empty
form value for a relation into null (a form left blank clears the member or organisation), and a
JSON field's text `null` into None after its null check has passed (the database then refuses it:
a 500). Every serializer of the project takes its text, JSON and relation fields from here (the
model serializers through `tenants.api.serializers.ModelSerializer`; tests/tenants/test_fields.py
checks every serializer of the project).
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty


class Text(serializers.CharField):
    default_error_messages = {"not_text": _("Enter text (not a number, true/false, a list or an object).")}

    def __init__(self, **kwargs):
        # A text that defaults to None (a name read through a relation that may be empty) is
        # null in responses: say so, so the schema documents it nullable.
        if "default" in kwargs and kwargs["default"] is None:
            kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        if data is not empty and data is not None and not isinstance(data, str):
            self.fail("not_text")
        return super().run_validation(data)


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class JSON(serializers.JSONField):
    default_error_messages = {"nul": _("Null characters are not allowed.")}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value is None and not self.allow_null:  # a form's text "null" decodes to None only here
            self.fail("null")
        if _holds_nul(value):  # PostgreSQL's jsonb cannot hold \u0000
            self.fail("nul")
        return value


class Related(serializers.PrimaryKeyRelatedField):
    default_error_messages = {"blank": _("Choose one. An empty value does not clear it: send null to clear it.")}

    def run_validation(self, data=empty):
        if isinstance(data, str) and data.strip() == "":  # DRF would take it for null
            self.fail("blank")
        return super().run_validation(data)


class Slug(Text, serializers.SlugField):
    pass


class Email(Text, serializers.EmailField):
    pass


class URL(Text, serializers.URLField):
    pass


def messages_without_type_names() -> None:
    """DRF's messages for a value of the wrong shape name Python's types ("expected pk value,
    received str", "but got list"): a phone user reads them in Chinese with English jargon left in.
    Said here in the user's words, once for every field of the project (called at start-up)."""
    from rest_framework import relations

    an_id = _("Expected an id (a whole number).")
    a_list = _("Expected a list.")
    an_object = _("Expected an object with fields.")
    relations.PrimaryKeyRelatedField.default_error_messages["incorrect_type"] = an_id
    relations.HyperlinkedRelatedField.default_error_messages["incorrect_type"] = _("Expected a link.")
    relations.ManyRelatedField.default_error_messages["not_a_list"] = a_list
    serializers.ListSerializer.default_error_messages["not_a_list"] = a_list
    serializers.ListField.default_error_messages["not_a_list"] = a_list
    serializers.MultipleChoiceField.default_error_messages["not_a_list"] = a_list
    serializers.DictField.default_error_messages["not_a_dict"] = an_object
    serializers.Serializer.default_error_messages["invalid"] = an_object
