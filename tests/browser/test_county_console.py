"""The county console in a real browser: it loads with nothing fetched from outside this
machine (ECharts is the project's own static file), the charts are drawn with the figures, the
drill-down goes county → unit → branch → member in three clicks, a county admin sees nothing of
another county, and a unit admin only their own unit."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings


@pytest.fixture
def figures(world, django_db_blocker):
    """The units' roll-ups, committed so the live server reads them; removed afterwards."""
    from django.db import connection

    from oversight.models import BranchFigures, UnitFiguresDay, UnitRoundFigures
    from oversight.services import unit_figures_refresh
    from tenants.services import unit_run

    with django_db_blocker.unblock():
        for key in "ABC":
            with unit_run(world[key].unit):
                unit_figures_refresh()
        connection.set_schema_to_public()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for model in (UnitRoundFigures, BranchFigures, UnitFiguresDay):
            model.objects.filter(unit__in=[world[key].unit for key in "ABC"]).delete()


@pytest.fixture
def signed_in(live_site, browser, django_db_blocker):
    """Open a browser context signed in as someone; every request leaving this machine fails
    the test (and is refused)."""
    from django.db import connection

    from tests.conftest import console_client

    contexts, outside = [], []

    def open_as(user):
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            client = console_client(user)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_site}])

        def guard(route):
            host = urlsplit(route.request.url).hostname
            if host in ("127.0.0.1", "localhost", "::1") or route.request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert not outside, f"requests left the machine: {outside}"


def _chart_points(page, chart: str) -> list:
    page.wait_for_function(f"window.consoleCharts && window.consoleCharts[{chart!r}]")
    return page.evaluate(f"window.consoleCharts[{chart!r}].getOption().series.map(s => s.data)")


def test_the_county_console_draws_its_charts_and_drills_down_in_three_clicks(live_site, signed_in, figures, world):
    page = signed_in(world.county_admin_k1)
    response = page.goto(f"{live_site}/county/")
    assert response.status == 200
    assert page.evaluate("typeof window.echarts.version") == "string" and page.evaluate("window.echarts.version") == "5.5.1"
    ranking = page.locator("#table-units")
    assert ranking.get_by_role("link", name="Unit A").is_visible() and ranking.get_by_role("link", name="Unit B").is_visible()
    assert "Unit C" not in page.locator("body").inner_text()
    rates = _chart_points(page, "rates")
    assert len(rates[0]) == 2 and any(v for v in rates[0])  # a bar per unit: the pledge rates
    assert len(_chart_points(page, "trend")[0]) >= 1  # today's snapshot at least
    assert page.locator("#chart-rates canvas").count() == 1
    assert "数据更新于" in page.locator("#refreshed").inner_text()  # when the figures were refreshed
    with page.expect_navigation():
        ranking.get_by_role("link", name="Unit A").click()  # 1
    assert page.url.endswith("/county/units/unit-a/")
    assert len(_chart_points(page, "rates")[0]) == 2  # a bar per branch
    with page.expect_navigation():
        page.locator("#table-branches").get_by_role("link", name="A Branch 1").click()  # 2
    assert f"/u/unit-a/dashboard/branch/{world['A'].branch_id}/" in page.url
    with page.expect_navigation():
        page.locator("#table-members").get_by_role("link", name="A Member").click()  # 3
    assert f"/u/unit-a/dashboard/member/{world['A'].member_ids[1]}/" in page.url
    assert page.get_by_text("A pledge item 1").first.is_visible()
    assert page.locator("form").count() == 0  # read-only: nothing to edit


def test_a_county_admin_sees_nothing_of_another_county(live_site, signed_in, figures, world):
    page = signed_in(world.county_admin_k2)
    page.goto(f"{live_site}/county/")
    body = page.locator("body").inner_text()
    assert "Unit C" in body and "Unit A" not in body and "Unit B" not in body
    assert len(_chart_points(page, "rates")[0]) == 1
    for path in ("/county/units/unit-a/", "/u/unit-a/dashboard/", f"/u/unit-a/dashboard/branch/{world['A'].branch_id}/"):
        assert page.goto(f"{live_site}{path}").status == 404, path


def test_a_unit_admin_sees_only_their_own_unit(live_site, signed_in, figures, world):
    page = signed_in(world["A"].admin)
    assert page.goto(f"{live_site}/u/unit-a/dashboard/").status == 200
    assert len(_chart_points(page, "rates")[0]) == 2
    body = page.locator("body").inner_text()
    assert "A Branch 1" in body and "B Branch" not in body
    assert page.locator("a[href='/county/']").count() == 0
    for path in ("/county/", "/county/units/unit-a/", "/u/unit-b/dashboard/"):
        assert page.goto(f"{live_site}{path}").status == 404, path
