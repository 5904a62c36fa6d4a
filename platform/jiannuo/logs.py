"""Structured logs: every record carries the request's id, the unit whose schema the connection is
in and the user, and in production is written as one JSON object per line.

The request id is the caller's `X-Request-ID` (a load balancer's, when it is a short printable token)
or a new one, and goes back on the response, so a user's report, the proxy's log and ours meet.
"""
from __future__ import annotations

import json
import logging
import re
import uuid

from tenants.log_context import request_id, unit_schema, user_id

_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestContextMiddleware:
    """First in the chain: names the request; the unit and the user are added once routing knows them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _ACCEPTED_ID.match(given) else uuid.uuid4().hex
        # Set for this request and left set after it: Django logs a response's status (django.request)
        # once the middleware has returned; the next request in this thread or task replaces them.
        request_id.set(rid)
        user_id.set(None)
        unit_schema.set("")
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # A session's user, if the session middleware already loaded it (no query here); a unit's
        # caller is set by routing (tenants.routing), which decides who they are.
        cached = getattr(request, "_cached_user", None)
        if cached is not None and cached.is_authenticated:
            user_id.set(cached.pk)


class ContextFilter(logging.Filter):
    """Adds request_id, unit (the connection's schema: a request's unit, or a task's) and user."""

    def filter(self, record):
        from django.db import connection

        record.request_id = request_id.get()
        record.user = user_id.get()
        schema = unit_schema.get()
        if not schema:  # a task, or a request's code before routing: the connection's schema
            try:
                schema = connection.schema_name
            except Exception:  # noqa: BLE001 — before Django is set up, or outside the tenant backend
                schema = ""
        record.unit = "" if schema in ("", "public") else schema
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname, "logger": record.name,
            "message": record.getMessage(), "request_id": getattr(record, "request_id", ""), "unit": getattr(record, "unit", ""),
            "user": getattr(record, "user", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
