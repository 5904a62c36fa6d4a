"""The public evaluation form on a phone, as an evaluator at the evaluation meeting opens it
from a QR code: no account, Chinese, one grade per member, submitted once."""
from __future__ import annotations

from datetime import timedelta

import time_machine


def test_an_evaluator_fills_the_form_on_a_phone(live_site, browser, world, django_db_blocker):
    from django.db import connection

    from evaluations import services
    from evaluations.models import Evaluation, PublicBallot
    from pledges.models import Round
    from tenants.organization.models import Organization
    from tenants.services import unit_run
    from tests.pledges.support import who

    C = world["C"]
    with django_db_blocker.unblock(), unit_run(C.unit):
        evaluation = services.evaluation_prepare(round=Round.objects.get(pk=C.round_id), who=who(C.admin, admin=True))
        (_member, secret), = services.panel_register(evaluation=evaluation, branch=Organization.objects.get(pk=C.branch_id),
                                                     who=who(C.admin, admin=True), people=[("李阿姨", "served")])
        connection.set_schema_to_public()
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        with time_machine.travel(evaluation.round.evaluate_on + timedelta(days=1), tick=True):
            page.goto(f"{live_site}/u/{C.unit.slug}/evaluate/{secret}/")
            assert "群众评议" in page.locator("header").inner_text()
            assert page.get_by_text("C pledge item 1").first.is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            sections = page.locator("section.card")
            assert sections.count() == 2  # C Secretary and C Member, not the other branch
            for index in range(sections.count()):
                sections.nth(index).get_by_label("满意", exact=True).check()
            with page.expect_navigation():
                page.get_by_role("button", name="提交评议").click()
            assert "感谢您的参与" in page.content()
            page.goto(f"{live_site}/u/{C.unit.slug}/evaluate/{secret}/")
            assert "该链接已经使用过" in page.content()
        with django_db_blocker.unblock(), unit_run(C.unit):
            assert PublicBallot.objects.filter(evaluation=evaluation).count() == 1
            connection.set_schema_to_public()
    finally:
        context.close()
        with django_db_blocker.unblock(), unit_run(C.unit):
            PublicBallot.objects.filter(evaluation=evaluation).delete()
            Evaluation.objects.filter(pk=evaluation.pk).delete()
            connection.set_schema_to_public()
