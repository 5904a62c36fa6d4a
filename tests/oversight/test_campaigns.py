"""A county launches a round for every unit below it; each unit gets its own copy."""
from datetime import timedelta

from notifications.models import OutboxMessage
from oversight.models import Campaign
from pledges.models import Round
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url
from tests.pledges.support import TODAY, round_dates


def _campaign(jurisdiction_id: int, **extra) -> dict:
    return {"jurisdiction": jurisdiction_id, "year": TODAY.year + 1, "theme": "县级统一承诺活动",
            **{k: (v + timedelta(days=365)).isoformat() for k, v in round_dates().items()}, **extra}


def test_county_admin_launches_a_round_in_every_unit_of_the_county(world, db):
    county = api_client_for(world.county_admin_k1)
    response = county.post("/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk), format="json")
    assert response.status_code == 201, response.content
    result = response.json()
    assert sorted(result["launched"]) == ["unit-a", "unit-b"] and result["unavailable"] == []
    for key in "AB":
        with unit_run(world[key].unit):
            copy = Round.objects.get(campaign_id=result["id"])
            assert copy.theme == "县级统一承诺活动" and copy.rules["member_items_min"] == 2
            assert OutboxMessage.objects.filter(dedupe_key=f"campaign:{result['id']}").exists()
    with unit_run(world["C"].unit):
        assert not Round.objects.filter(campaign_id=result["id"]).exists()
    again = county.post(f"/api/v1/oversight/campaigns/{result['id']}/launch/", {}, format="json").json()
    assert again["launched"] == [] and sorted(again["already"]) == ["unit-a", "unit-b"]
    listed = county.get("/api/v1/oversight/campaigns/").json()["results"]
    assert listed[0]["launched_units"] == 2


def test_each_unit_adjusts_its_own_copy(world, db):
    county = api_client_for(world.county_admin_k1)
    campaign_id = county.post("/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk), format="json").json()["id"]
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
    import pledges.services

    real_open = pledges.services.round_open

    def broken_in_unit_a(**kwargs):
        from django.db import connection

        if connection.schema_name == world["A"].unit.schema_name:
            raise RuntimeError("disk full")
        return real_open(**kwargs)

    monkeypatch.setattr(pledges.services, "round_open", broken_in_unit_a)
    county = api_client_for(world.county_admin_k1)
    result = county.post("/api/v1/oversight/campaigns/", _campaign(world.counties["K1"].pk), format="json").json()
    assert result["failed"] == ["unit-a"] and result["launched"] == ["unit-b"]
    monkeypatch.setattr(pledges.services, "round_open", real_open)
    again = county.post(f"/api/v1/oversight/campaigns/{result['id']}/launch/", {}, format="json").json()
    assert again["launched"] == ["unit-a"] and again["already"] == ["unit-b"]
