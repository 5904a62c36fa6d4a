"""One error shape for the whole API, translated into the caller's language:

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"phone": ["…"]}}}

`fields` appears only for validation errors and maps each field (dotted for nested,
`non_field_errors` for the whole object) to its messages.
"""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import DataError, IntegrityError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def error_response(status_code: int, code: str, message: str, *, request=None, fields: dict | None = None):
    """For middleware, outside DRF: JSON for API paths, a plain page otherwise."""
    if request is None or request.path_info.startswith("/api/"):
        return JsonResponse(error_body(status_code, code, message, fields), status=status_code, json_dumps_params={"ensure_ascii": False})
    # A page with the way back (the template is the project's: error_page.html).
    return HttpResponse(render_to_string("error_page.html", {"status": status_code, "message": message}), status=status_code)


def error_message(exc) -> str:
    """One sentence for any exception's detail (some libraries nest it in a dict)."""
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        detail = detail.get("detail") or next(iter(detail.values()), None)
    if isinstance(detail, list):
        detail = detail[0] if detail else None
    return str(detail) if detail else _("Request failed.")


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
        return out
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return {prefix or "non_field_errors": [str(d) for d in detail]}
        out = {}
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def validation_error_from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Business-rule errors raised by services become field-level 400s."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class Conflict(exceptions.APIException):
    """The request is valid but the object's state does not allow it now (state or phase)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, (IntegrityError, DataError)):
        # The last line of defence, never the plan: input the serializers let through and the
        # database refused. Logged as an error to be fixed where the input is read; the client
        # gets a 4xx, and the request's transaction is rolled back (nothing changed).
        logger.error("database refused a request's data", exc_info=exc)
        if isinstance(exc, IntegrityError):
            exc = Conflict(_("This conflicts with data already saved. Reload it and try again."))
        else:
            exc = exceptions.ValidationError({"non_field_errors": [_("A value is too long, out of range or not valid.")]})
    if isinstance(exc, DjangoValidationError):
        # Services refuse a step that the current state or phase forbids with code "conflict".
        if not hasattr(exc, "error_dict") and getattr(exc, "code", None) == "conflict":
            exc = Conflict(exc.messages[0])
        elif not hasattr(exc, "error_dict") and getattr(exc, "code", None) == "throttled":
            exc = exceptions.Throttled(detail=exc.messages[0])
        else:
            exc = validation_error_from_django(exc)
    elif isinstance(exc, exceptions.ParseError):
        # DRF's says "JSON parse error - Expecting value: line 1 column 1 (char 0)", in English.
        exc = exceptions.ParseError(_("The request's body could not be read: it is not valid JSON, or not in the format its Content-Type names."))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = error_body(response.status_code, "invalid", _("Some fields are not valid."), fields)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(code, dict):
            code = code.get("code") or code.get("detail")
        body = error_body(response.status_code, code if isinstance(code, str) else "error", error_message(exc))
    response.data = body
    return response
