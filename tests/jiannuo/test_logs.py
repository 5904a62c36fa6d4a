"""Structured logs: a request's records carry its id (the caller's X-Request-ID or a new one, sent
back on the response), the unit whose schema it ran in and the user; the JSON formatter writes them."""
import json
import logging

from django.test import Client

from jiannuo.logs import ContextFilter, JsonFormatter
from tests.conftest import api_client_for


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(ContextFilter())
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_a_requests_log_lines_carry_its_id_unit_and_user(world, db):
    handler = Collect()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = api_client_for(world["A"].member).get("/api/v1/u/unit-a/pledges/999999/", HTTP_X_REQUEST_ID="lb-1234")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404 and response["X-Request-ID"] == "lb-1234"
    [record] = [r for r in handler.records if "999999" in r.getMessage()]
    assert (record.request_id, record.unit, record.user) == ("lb-1234", world["A"].unit.schema_name, world["A"].member.pk)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "lb-1234" and line["unit"] == world["A"].unit.schema_name and line["user"] == world["A"].member.pk
    assert line["level"] == "WARNING" and "999999" in line["message"]


def test_an_unusable_request_id_is_replaced(db):
    response = Client().get("/healthz/live", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()
