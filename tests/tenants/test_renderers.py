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


def _described(path: str, language: str, slug: str) -> str:
    """What the browsable API (a browser at an API address) says the view at `path` does."""
    from django.urls import resolve
    from django.utils import translation
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from jiannuo.unit_urls import urlconf_for
    from tenants.api.descriptions import view_description

    match = resolve(path, urlconf=urlconf_for(slug))
    view = match.func.cls(**getattr(match.func, "initkwargs", {}))
    view.request, view.args, view.kwargs, view.format_kwarg = Request(APIRequestFactory().get(path)), (), match.kwargs, None
    with translation.override(language):
        return view_description(view)


def test_the_browsable_api_describes_a_view_by_its_summary_in_the_readers_language(world, db):
    from rest_framework.settings import api_settings

    from tenants.api.descriptions import view_description

    assert api_settings.VIEW_DESCRIPTION_FUNCTION is view_description  # what DRF's pages call
    slug = world["A"].unit.slug
    assert _described(f"/api/v1/u/{slug}/me/", "zh-hans", slug) == "我在本单位的身份"
    assert _described(f"/api/v1/u/{slug}/me/", "en", slug) == "Who I am in this unit"
