"""A county launches a round for every unit below it; each unit gets its own copy, opened
by a unit task in that unit's schema (never inside the county's request)."""
import base64
import json
from datetime import timedelta

import redis
from django.conf import settings
from django.test import TestCase
from django.utils import translation

from notifications.models import OutboxMessage
from oversight.models import Campaign
from oversight.tasks import launch_campaign
from pledges.models import Round
from tenants.models import Unit
from tenants.services import unit_run
from tenants.tasks import send_to_units
from tests.conftest import api_client_for, unit_url
from tests.pledges.support import TODAY, round_dates


def _queued(queue: str) -> list[dict]:
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    messages = [json.loads(m) for m in client.lrange(queue, 0, -1)]
    client.delete(queue)
    return messages


def _body(message: dict):
    return json.loads(base64.b64decode(message["body"]))


def _post(client, path: str, body: dict | None = None):
    """The request, its commit, and the fan-out task it queued, as the worker would run it."""
    _queued("county")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(path, body or {}, format="json")
    return response


def _work_the_county_queue(world) -> list[str]:
    """What the worker does with the county queue: the fan-out task sends one unit task per unit
    (each stamped with its unit's schema), and each unit task runs in its unit."""
    ran = []
    for message in _queued("county"):
        if message["headers"]["task"] == "tenants.send_to_units":
            args, kwargs, _embed = _body(message)
            send_to_units.apply(args=args, kwargs=kwargs, throw=True)
    for message in _queued("county"):
        assert message["headers"]["task"] == "oversight.launch_campaign"
        unit = Unit.objects.get(schema_name=message["headers"]["_schema_name"])
        args, kwargs, _embed = _body(message)
        with unit_run(unit):
            launch_campaign.apply(args=args, kwargs=kwargs, throw=True)
        ran.append(unit.slug)
    return sorted(ran)


def _campaign(jurisdiction_id: int, **extra) -> dict:
    return {"jurisdiction": jurisdiction_id, "year": TODAY.year + 1, "theme": "县级统一承诺活动",
            **{k: (v + timedelta(days=365)).isoformat() for k, v in round_dates().items()}, **extra}


def _statuses(progress: dict) -> dict[str, str]:
    return {u["slug"]: u["status"] for u in progress["units"]}


def test_county_admin_launches_a_round_in_every_unit_of_the_county(world, db):
    county = api_client_for(world.county_admin_k1)
    response = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk))
    assert response.status_code == 202, response.content
    result = response.json()
    assert _statuses(result) == {"unit-a": "pending", "unit-b": "pending"} and result["done"] is False
    assert response["Location"] == f"/api/v1/oversight/campaigns/{result['id']}/"
    for key in "AB":  # nothing happened inside the request
        with unit_run(world[key].unit):
            assert not Round.objects.filter(campaign_id=result["id"]).exists()
    assert _work_the_county_queue(world) == ["unit-a", "unit-b"]
    progress = county.get(f"/api/v1/oversight/campaigns/{result['id']}/").json()
    assert _statuses(progress) == {"unit-a": "launched", "unit-b": "launched"} and progress["done"] is True
    assert progress["counts"] == {"pending": 0, "launched": 2, "unavailable": 0, "failed": 0}
    for key in "AB":
        with unit_run(world[key].unit):
            copy = Round.objects.get(campaign_id=result["id"])
            assert copy.theme == "县级统一承诺活动" and copy.rules["member_items_min"] == 2
            assert OutboxMessage.objects.filter(dedupe_key=f"campaign:{result['id']}").exists()
    with unit_run(world["C"].unit):
        assert not Round.objects.filter(campaign_id=result["id"]).exists()
    again = _post(county, f"/api/v1/oversight/campaigns/{result['id']}/launch/")
    assert again.status_code == 202 and _statuses(again.json()) == {"unit-a": "launched", "unit-b": "launched"}
    assert _work_the_county_queue(world) == []  # nothing left to send
    listed = county.get("/api/v1/oversight/campaigns/").json()["results"]
    assert listed[0]["launched_units"] == 2


def test_a_unit_task_run_twice_opens_one_round(world, db):
    county = api_client_for(world.county_admin_k1)
    campaign_id = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk)).json()["id"]
    _work_the_county_queue(world)
    with unit_run(world["A"].unit):
        assert launch_campaign.apply(kwargs={"campaign_id": campaign_id}, throw=True).result == "launched"
        assert Round.objects.filter(campaign_id=campaign_id).count() == 1
        assert OutboxMessage.objects.filter(dedupe_key=f"campaign:{campaign_id}").count() == 1


def test_a_unit_being_upgraded_waits_and_is_launched_later(world, db):
    Unit.objects.filter(pk=world["B"].unit.pk).update(status=Unit.Status.MIGRATING)
    county = api_client_for(world.county_admin_k1)
    result = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk)).json()
    assert _statuses(result) == {"unit-a": "pending", "unit-b": "unavailable"}
    assert _work_the_county_queue(world) == ["unit-a"]
    Unit.objects.filter(pk=world["B"].unit.pk).update(status=Unit.Status.ACTIVE)
    _post(county, f"/api/v1/oversight/campaigns/{result['id']}/launch/")
    assert _work_the_county_queue(world) == ["unit-b"]
    assert county.get(f"/api/v1/oversight/campaigns/{result['id']}/").json()["done"] is True


def test_each_unit_adjusts_its_own_copy(world, db):
    county = api_client_for(world.county_admin_k1)
    campaign_id = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk)).json()["id"]
    _work_the_county_queue(world)
    with unit_run(world["A"].unit):
        round_id = Round.objects.get(campaign_id=campaign_id).pk
    later = (round_dates()["ends_on"] + timedelta(days=400)).isoformat()
    response = api_client_for(world["A"].admin).patch(unit_url(world["A"], f"rounds/{round_id}/"), {"ends_on": later}, format="json")
    assert response.status_code == 200 and response.json()["ends_on"] == later
    with unit_run(world["B"].unit):
        assert Round.objects.get(campaign_id=campaign_id).ends_on.isoformat() != later


def test_campaigns_stay_within_the_callers_jurisdiction(world, db):
    other_county = api_client_for(world.county_admin_k2)
    refused = other_county.post("/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk), format="json")
    assert refused.status_code == 400 and "jurisdiction" in refused.json()["error"]["fields"]
    unit_admin = api_client_for(world["A"].admin)
    assert unit_admin.post("/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk), format="json").status_code == 400
    campaign = Campaign.objects.create(jurisdiction=world.counties["K1"], year=TODAY.year, theme="x", **round_dates())
    assert other_county.post(f"/api/v1/oversight/campaigns/{campaign.pk}/launch/", {}, format="json").status_code == 404
    assert other_county.get("/api/v1/oversight/campaigns/").json()["count"] == 0


def test_bad_campaign_dates_launch_nothing(world, db):
    county = api_client_for(world.county_admin_k1)
    body = _campaign(world.counties["K1"].pk)
    body["ends_on"] = body["mobilise_on"]
    response = county.post("/api/v1/oversight/campaigns/", body, format="json")
    assert response.status_code == 400 and "ends_on" in response.json()["error"]["fields"]
    assert not Campaign.objects.exists()


def test_a_unit_that_fails_does_not_stop_the_others(world, db, monkeypatch):
    import oversight.services

    real_open = oversight.services.round_open

    def broken_in_unit_a(**kwargs):
        from django.db import connection

        if connection.schema_name == world["A"].unit.schema_name:
            raise RuntimeError("disk full")
        return real_open(**kwargs)

    monkeypatch.setattr(oversight.services, "round_open", broken_in_unit_a)
    county = api_client_for(world.county_admin_k1)
    result = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk)).json()
    _work_the_county_queue(world)
    progress = county.get(f"/api/v1/oversight/campaigns/{result['id']}/").json()
    assert _statuses(progress) == {"unit-a": "failed", "unit-b": "launched"}
    assert [u["detail"] for u in progress["units"] if u["slug"] == "unit-a"] == ["disk full"]
    with unit_run(world["A"].unit):
        assert not Round.objects.filter(campaign_id=result["id"]).exists()  # nothing half-done
    monkeypatch.setattr(oversight.services, "round_open", real_open)
    again = _post(county, f"/api/v1/oversight/campaigns/{result['id']}/launch/").json()
    assert _statuses(again) == {"unit-a": "pending", "unit-b": "launched"}
    assert _work_the_county_queue(world) == ["unit-a"]


def test_a_campaign_and_the_round_it_opens_name_the_year_once(world, db):
    """A theme that already says the year is the name as it is; one that does not gets the year in
    front — the county's list, the unit admins' message and the unit's round alike."""
    county = api_client_for(world.county_admin_k1)
    year = TODAY.year + 1
    said = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk, theme=f"{year}年度县级统一承诺")).json()["id"]
    assert _work_the_county_queue(world) == ["unit-a", "unit-b"]
    plain = _post(api_client_for(world.county_admin_k2), "/api/v1/oversight/campaigns/",
                  _campaign(world.counties["K2"].pk, theme="县级统一承诺活动")).json()["id"]
    assert _work_the_county_queue(world) == ["unit-c"]
    with translation.override("zh-hans"):
        assert str(Campaign.objects.get(pk=said)) == f"{year}年度县级统一承诺"
        assert str(Campaign.objects.get(pk=plain)) == f"{year}年度县级统一承诺活动"
    with unit_run(world["A"].unit):
        title = OutboxMessage.objects.get(dedupe_key=f"campaign:{said}").payload["title"]
        assert f"{year}年度县级统一承诺" in title and title.count(str(year)) == 1
    with unit_run(world["C"].unit):
        title = OutboxMessage.objects.get(dedupe_key=f"campaign:{plain}").payload["title"]
        assert f"{year}年度县级统一承诺活动" in title and title.count(str(year)) == 1


def test_a_county_pushes_its_evaluation_scheme_which_each_unit_may_adjust_before_it_opens(world, db):
    from evaluations.models import Evaluation

    county = api_client_for(world.county_admin_k1)
    scheme = {"member_weights": {"peer": 25, "public": 40, "leader": 20, "organisation": 15, "self": 0}, "public_quorum_percent": 90,
              "scale": [{"code": "good", "label": "好", "points": 100, "threshold": 90}, {"code": "fair", "label": "较好", "points": 80, "threshold": 75},
                        {"code": "average", "label": "一般", "points": 60, "threshold": 60}, {"code": "poor", "label": "差", "points": 0, "threshold": 0}]}
    bad = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk, evaluation_scheme={**scheme, "member_weights": {"peer": 0}}))
    assert bad.status_code == 400 and not Campaign.objects.exists()
    made = _post(county, "/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk, evaluation_scheme=scheme))
    assert made.status_code == 202
    _work_the_county_queue(world)
    for key in "AB":
        with unit_run(world[key].unit):
            evaluation = Evaluation.objects.get(round__campaign_id=made.json()["id"])
            assert evaluation.member_weights["public"] == 40 and evaluation.public_quorum_percent == 90
            assert [g["label"] for g in evaluation.scale] == ["好", "较好", "一般", "差"]
            assert evaluation.leader_weights == {"branch": 40, "public": 40, "team": 20, "self": 0}  # left out: 004's default
    # Unit A adjusts its copy before it opens; unit B keeps the county's.
    with unit_run(world["A"].unit):
        round_id = Round.objects.get(campaign_id=made.json()["id"]).pk
    changed = api_client_for(world["A"].admin).patch(unit_url(world["A"], f"rounds/{round_id}/evaluation/"), {"public_quorum_percent": 85}, format="json")
    assert changed.status_code == 200 and changed.json()["public_quorum_percent"] == 85
    with unit_run(world["B"].unit):
        assert Evaluation.objects.get(round__campaign_id=made.json()["id"]).public_quorum_percent == 90
    shown = county.get("/api/v1/oversight/campaigns/").json()["results"][0]
    assert shown["evaluation_scheme"]["public_quorum_percent"] == 90
