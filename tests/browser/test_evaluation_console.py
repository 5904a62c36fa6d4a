"""The evaluation in the unit console, in a real browser as unit A's admin: the scheme is
read with its formula, a weight typed in and saved, and the formula follows."""
from __future__ import annotations

from tests.browser.test_unit_console import unit_admin_page  # noqa: F401 (a fixture)


def test_the_unit_admin_adjusts_the_weights_and_reads_the_new_formula(live_site, unit_admin_page, world, django_db_blocker):  # noqa: F811
    from django.db import connection

    from evaluations import services
    from evaluations.models import Evaluation
    from pledges.models import Round
    from tenants.services import unit_run
    from tests.pledges.support import who

    A, page = world["A"], unit_admin_page
    with django_db_blocker.unblock(), unit_run(A.unit):
        evaluation = services.evaluation_prepare(round=Round.objects.get(pk=A.round_id), who=who(A.admin, admin=True))
        connection.set_schema_to_public()
    try:
        page.goto(f"{live_site}/u/unit-a/admin/")
        with page.expect_navigation():
            page.locator("#content-main").get_by_role("link", name="评诺", exact=True).first.click()
        with page.expect_navigation():  # the app's page lists its records; the evaluations are the last
            page.locator("#content-main").get_by_role("link", name="评诺", exact=True).last.click()
        with page.expect_navigation():
            page.locator("#result_list tbody a").first.click()
        body = page.locator("#content-main").inner_text()
        assert "党员互评×30%" in body and "所在支部评议×40%" in body
        page.get_by_label("党员互评").first.fill("40")
        page.get_by_label("群众评议").first.fill("20")
        with page.expect_navigation():
            page.get_by_role("button", name="保存", exact=True).click()
        assert "成功" in page.locator(".messagelist").inner_text()
        with page.expect_navigation():
            page.locator("#result_list tbody a").first.click()
        assert "党员互评×40%" in page.locator("#content-main").inner_text()
    finally:
        with django_db_blocker.unblock(), unit_run(A.unit):
            Evaluation.objects.filter(pk=evaluation.pk).delete()
            connection.set_schema_to_public()
