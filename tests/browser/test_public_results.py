"""The results published to the public board, read on a phone: Chinese, one table per branch,
no sideways scrolling."""
from __future__ import annotations


def test_the_public_reads_the_published_results_on_a_phone(live_site, browser, world, django_db_blocker):
    from django.db import connection

    from evaluations.models import Evaluation
    from evaluations.results import results_publish
    from pledges.models import Round
    from tenants.services import unit_run
    from tests.evaluations.test_results import _scored_unit
    from tests.pledges.support import round_dates, who

    C = world["C"]
    with django_db_blocker.unblock(), unit_run(C.unit):
        evaluation, me, colleagues = _scored_unit(C)
        results_publish(evaluation=evaluation, who=who(C.admin, admin=True), scope="board")
        connection.set_schema_to_public()
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_site}/u/{C.unit.slug}/evaluation/{C.round_id}/results/")
        assert "评诺结果" in page.locator("header").inner_text()
        assert page.get_by_role("cell", name=me.name).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
        with django_db_blocker.unblock(), unit_run(C.unit):
            from evaluations.models import BallotBox, MemberScore, Review
            from tenants.organization.models import Member

            Evaluation.objects.filter(pk=evaluation.pk).delete()
            Member.objects.filter(pk__in=[m.pk for m in colleagues]).delete()
            Round.objects.filter(pk=C.round_id).update(**{k: v for k, v in round_dates().items() if k in ("evaluate_on", "ends_on")})
            connection.set_schema_to_public()
