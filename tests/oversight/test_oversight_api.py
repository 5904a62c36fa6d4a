"""County admins see the units of their county, and nothing of other counties."""
from oversight.services import unit_figures_refresh
from tenants.services import unit_run
from tests.conftest import api_client_for


def test_county_admin_lists_only_own_county_units(world, db):
    slugs = [u["slug"] for u in api_client_for(world.county_admin_k1).get("/api/v1/oversight/units/").json()["results"]]
    assert slugs == ["unit-a", "unit-b"]
    slugs = [u["slug"] for u in api_client_for(world.county_admin_k2).get("/api/v1/oversight/units/").json()["results"]]
    assert slugs == ["unit-c"]


def test_city_admin_sees_every_county_below(world, db):
    slugs = sorted(u["slug"] for u in api_client_for(world.city_admin).get("/api/v1/oversight/units/").json()["results"])
    assert slugs == ["unit-a", "unit-b", "unit-c"]


def test_other_county_unit_detail_is_404(world, db):
    assert api_client_for(world.county_admin_k2).get("/api/v1/oversight/units/unit-a/").status_code == 404
    assert api_client_for(world.county_admin_k1).get("/api/v1/oversight/units/unit-a/").status_code == 200


def test_members_see_no_oversight_data(world, db):
    assert api_client_for(world["A"].admin).get("/api/v1/oversight/units/").json()["results"] == []
    assert api_client_for(world["A"].member).get("/api/v1/oversight/jurisdictions/").json() == []


def test_rollup_sums_unit_figures_within_jurisdiction(world, db):
    for key in "ABC":
        with unit_run(world[key].unit):
            unit_figures_refresh()
    k1 = api_client_for(world.county_admin_k1).get("/api/v1/oversight/rollup/").json()
    assert k1 == {"units": 2, "members": 6, "active_members": 6, "mobile_members": 0, "branches": 4}
    city = api_client_for(world.city_admin).get("/api/v1/oversight/rollup/?county=k2").json()
    assert city["units"] == 1 and city["members"] == 3


def test_county_admin_cannot_enter_other_county_unit(world, db):
    assert api_client_for(world.county_admin_k2).get("/api/v1/u/unit-a/members/").status_code == 404
