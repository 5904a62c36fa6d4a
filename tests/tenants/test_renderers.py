"""The orjson renderer writes the JSON DRF's own renderer writes."""
import json
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFRenderer

from tenants.api.renderers import JSONRenderer


def test_same_json_as_drf_for_what_views_return():
    data = {
        "name": "红星镇党委", "count": 3, "ratio": 0.5, "none": None, "flags": [True, False],
        "when": datetime(2026, 11, 16, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
        "utc": datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc), "day": date(2026, 11, 16), "at": time(9, 30),
        "amount": Decimal("12.50"), "label": gettext_lazy("Not found."), "id": UUID(int=7),
        "by_item": {12: "键是整数"}, "nested": [{"a": [1, 2, {"b": "第\u2028行"}]}],
    }
    ours, theirs = JSONRenderer().render(data), DRFRenderer().render(data)
    assert json.loads(ours) == json.loads(theirs)
    assert ours == theirs


def test_empty_body_and_pretty_output_as_drf():
    assert JSONRenderer().render(None) == b""
    pretty = JSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert pretty == DRFRenderer().render({"a": 1}, "application/json; indent=2")
