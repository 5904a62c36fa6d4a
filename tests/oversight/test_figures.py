"""The county's copy of a unit's figures: there from the moment the unit opens, and refreshed
soon after a change in the unit, once for a burst of changes."""
import json
from datetime import date

import redis
from django.conf import settings
from django.core.cache import cache

from oversight.models import UnitFigures
from oversight.services import FIGURES_DEBOUNCE
from tenants.organization import services as org
from tenants.organization.models import Organization
from tenants.services import unit_create, unit_run
from tests.conftest import api_client_for

QUEUE = "aggregation"  # the figures' named queue (settings.CELERY_TASK_ROUTES)


def _figure_tasks(client) -> list[dict]:
    messages = [json.loads(m) for m in client.lrange(QUEUE, 0, -1)]
    return [m for m in messages if m["headers"]["task"] == "oversight.refresh_unit_figures"]


def test_a_new_unit_has_its_figures_as_it_opens(world, db):
    unit = unit_create(name="New Town", slug="figures-new", kind="township", county=world.counties["K1"])
    figures = UnitFigures.objects.get(unit=unit)
    assert figures.refreshed_at is not None and figures.members == 0 and figures.round_theme == ""
    shown = api_client_for(world.county_admin_k1).get("/api/v1/oversight/units/figures-new/").json()
    assert shown["members"] == 0 and shown["figures_refreshed_at"] is not None and shown["round_theme"] == ""


def test_a_unit_without_figures_yet_shows_zeros_not_nulls(world, db):
    UnitFigures.objects.filter(unit=world["A"].unit).delete()
    shown = api_client_for(world.county_admin_k1).get("/api/v1/oversight/units/unit-a/").json()
    assert shown["members"] == 0 and shown["pledge_items"] == 0 and shown["round_theme"] == ""
    assert shown["figures_refreshed_at"] is None


def test_a_change_in_a_unit_has_its_figures_refreshed_soon_once_for_a_burst(world, db, django_capture_on_commit_callbacks):
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    client.delete(QUEUE)
    schema = world["B"].unit.schema_name
    with unit_run(world["B"].unit):
        cache.delete("figures-due")  # (the cache's keys are the unit's own)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            branch = org.organization_create(name="B Branch 3", kind=Organization.Kind.BRANCH, parent=Organization.objects.get(pk=world["B"].committee_id))
            org.member_create(unit=world["B"].unit, name="B Newcomer", gender="male", birth_date=date(1990, 1, 1),
                              joined_on=date(2015, 7, 1), phone="", post="Clerk", tier="agency_member", branch=branch)
        assert len(callbacks) == 1  # one per transaction, however many rows changed
        with django_capture_on_commit_callbacks(execute=True):
            org.organization_update(organization=branch, name="B Branch Three")  # a second change in the window
        cache.delete("figures-due")
    sent = _figure_tasks(client)
    client.delete(QUEUE)
    assert len(sent) == 1
    assert sent[0]["headers"]["_schema_name"] == schema
    assert sent[0]["headers"]["eta"] is not None  # after the window, so the burst is counted whole
    assert 0 < FIGURES_DEBOUNCE <= 60


def test_changes_in_the_public_schema_send_nothing(world, db, django_capture_on_commit_callbacks):
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    client.delete(QUEUE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        unit_create(name="Quiet", slug="figures-quiet", kind="township", county=world.counties["K1"])
    assert not _figure_tasks(client)
    assert not callbacks
