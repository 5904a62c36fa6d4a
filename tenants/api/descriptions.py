"""What the browsable API (a browser opening an API address) says a view does: the operation's
summary from the API documentation ("中文 / English"), in the reader's language, instead of the
view's docstring, which is written for developers in English."""
from __future__ import annotations

from django.utils.translation import get_language
from rest_framework.views import get_view_description


def view_description(view, html: bool = False) -> str:
    summary = _summary(view)
    if not summary:
        return get_view_description(view, html)
    chinese, _, english = summary.partition(" / ")
    text = english if english and not (get_language() or "").startswith("zh") else chinese
    if html:
        from django.utils.html import escape

        return f"<p>{escape(text)}</p>"
    return text


def _summary(view) -> str | None:
    request = getattr(view, "request", None)
    method = (getattr(request, "method", None) or "GET").lower()
    handler = getattr(view, method, None)
    schema_class = getattr(handler, "kwargs", {}).get("schema") if handler is not None else None
    if schema_class is None or request is None:
        return None
    try:  # drf-spectacular keeps the summary inside the operation's schema class
        schema = schema_class()
        schema.view, schema.method, schema.path = view, method.upper(), request.path
        return schema.get_summary()
    except Exception:  # noqa: BLE001 — a description is never worth a failed page
        return None
