"""County admins see the units of their county, and nothing of other counties."""
from oversight.services import unit_figures_refresh
from tenants.services import unit_run
from tests.conftest import api_client_for, console_client


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
    # Each unit of the world has one member with a published pledge of 3 items in its current round.
    assert k1 == {"units": 2, "members": 6, "active_members": 6, "mobile_members": 0, "branches": 4,
                  "members_pledged": 2, "pledge_items": 6, "items_closed": 0, "items_overdue": 0}
    unit_a = api_client_for(world.county_admin_k1).get("/api/v1/oversight/units/unit-a/").json()
    assert unit_a["round_theme"] == "A Round" and unit_a["round_phase"] == "fulfil" and unit_a["pledge_items"] == 3
    city = api_client_for(world.city_admin).get("/api/v1/oversight/rollup/?county=k2").json()
    assert city["units"] == 1 and city["members"] == 3


def test_county_admin_cannot_enter_other_county_unit(world, db):
    assert api_client_for(world.county_admin_k2).get("/api/v1/u/unit-a/members/").status_code == 404


def test_jurisdiction_tree_levels_are_enforced(world, db):
    import pytest
    from django.core.exceptions import ValidationError

    from tenants.services import jurisdiction_create

    with pytest.raises(ValidationError):
        jurisdiction_create(name="Stray county", code="stray", level="county", parent=None)
    with pytest.raises(ValidationError):
        jurisdiction_create(name="County under county", code="cc", level="county", parent=world.counties["K1"])
    assert jurisdiction_create(name="K3", code="k3", level="county", parent=world.counties["city"]).parent == world.counties["city"]


def test_operator_creates_a_unit_in_the_platform_console(world, db):
    from django.test import Client

    from tenants.models import Unit

    browser = Client()
    browser = console_client(world.operator)
    response = browser.post("/admin/tenants/unit/add/", {"name": "东山镇", "slug": "dongshan", "kind": "township", "county": world.counties["K1"].pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(slug="dongshan")
    assert unit.status == Unit.Status.ACTIVE and unit.schema_name == "u_dongshan"
    browser = console_client(world.county_admin_k1)
    assert browser.post("/admin/tenants/unit/add/", {"name": "西山镇", "slug": "xishan", "kind": "township", "county": world.counties["K1"].pk}).status_code == 403
