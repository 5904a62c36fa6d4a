"""The unit console: rules and rounds are edited there through the same services."""
import pytest
from django.test import Client

from pledges.models import PledgeRules, Round
from tenants.services import unit_run

from .support import TODAY, round_dates
from .support import stored_files_removed  # noqa: F401 (a fixture)
from tests.conftest import console_client


def _console(user) -> Client:
    return console_client(user)


def _rules_form(rules: PledgeRules, **changes) -> dict:
    """The rules page as a browser posts it: check boxes as repeated values, lists one per line."""
    from tenants.organization.models import Member

    data = {
        "member_items_min": rules.member_items_min, "member_items_max": rules.member_items_max,
        "organization_items_min": rules.organization_items_min, "organization_items_max": rules.organization_items_max,
        "corrections_min": rules.corrections_min, "corrections_max": rules.corrections_max,
        "leader_extra_items": rules.leader_extra_items, "areas": list(rules.areas), "kinds": list(rules.kinds),
        "review_checklist": "\n".join(rules.review_checklist),
        "member_reviewer": rules.member_reviewer, "organization_reviewer": rules.organization_reviewer,
        "require_post": "on", "monthly_record": "on", "monthly_reminder_day": rules.monthly_reminder_day,
        "quarterly_check": "on", "half_year_bulletin": "on", "deadline_warning_days": rules.deadline_warning_days,
        "attachment_max_mb": rules.attachment_max_mb, "attachments_per_record": rules.attachments_per_record,
        "attachment_types": list(rules.attachment_types),
        **{f"common_{tier}": "\n".join(rules.common_templates.get(tier, [])) for tier in Member.Tier.values},
    }
    data.update(changes)
    return data


def test_unit_admin_edits_the_rules_in_the_console(world, db):
    from pledges.selectors import rules_current

    A = world["A"]
    browser = _console(A.admin)
    opened = browser.get("/u/unit-a/admin/pledges/pledgerules/", follow=True)
    assert opened.status_code == 200 and "member_items_min" in opened.content.decode()
    page = opened.content.decode()
    assert 'type="checkbox" name="areas"' in page and "农村党员" in page  # check boxes and a list per tier, in Chinese
    with unit_run(A.unit):
        rules = rules_current()
    url = f"/u/unit-a/admin/pledges/pledgerules/{rules.pk}/change/"
    refused = browser.post(url, _rules_form(rules, member_items_min=9))
    assert refused.status_code == 200  # the form comes back with the error
    saved = browser.post(url, _rules_form(rules, member_items_max=4))
    assert saved.status_code == 302
    with unit_run(A.unit):
        assert rules_current().member_items_max == 4 and rules_current().member_items_min == 2


def test_unit_admin_opens_a_round_in_the_console_and_county_viewers_cannot(world, db):
    A = world["A"]
    dates = {k: v.isoformat() for k, v in round_dates().items()}
    response = _console(A.admin).post("/u/unit-a/admin/pledges/round/add/", {"year": TODAY.year, "theme": "Console round", **dates})
    assert response.status_code == 302
    with unit_run(A.unit):
        round = Round.objects.get(theme="Console round")
        assert round.rules["member_items_min"] == 2  # opened through the service: the rules were copied
    viewer = _console(world.county_admin_k1).post("/u/unit-a/admin/pledges/round/add/", {"year": TODAY.year, "theme": "Viewer round", **dates})
    assert viewer.status_code == 403
    with unit_run(A.unit):
        assert not Round.objects.filter(theme="Viewer round").exists()


def test_round_dates_out_of_order_come_back_on_the_form(world, db):
    dates = {k: v.isoformat() for k, v in round_dates().items()}
    dates["ends_on"] = dates["mobilise_on"]
    response = _console(world["A"].admin).post("/u/unit-a/admin/pledges/round/add/", {"year": TODAY.year, "theme": "Bad dates", **dates})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    with unit_run(world["A"].unit):
        assert not Round.objects.filter(theme="Bad dates").exists()


def test_the_rules_page_takes_lists_one_per_line_and_refuses_in_chinese(world, db):
    from pledges.selectors import rules_current

    A = world["A"]
    browser = _console(A.admin)
    with unit_run(A.unit):
        rules = rules_current()
    url = f"/u/unit-a/admin/pledges/pledgerules/{rules.pk}/change/"
    saved = browser.post(url, _rules_form(
        rules, areas=["study", "work"], review_checklist="联系岗位实际\n\n  切实可行  \n具体明确",
        common_rural_member="带头致富\n带领群众共同致富",
    ))
    assert saved.status_code == 302
    with unit_run(A.unit):
        stored = rules_current()
    assert stored.areas == ["study", "work"]
    assert stored.review_checklist == ["联系岗位实际", "切实可行", "具体明确"]  # blank lines dropped, spaces trimmed
    assert stored.common_templates["rural_member"] == ["带头致富", "带领群众共同致富"]
    assert stored.common_templates["agency_member"] == rules.common_templates["agency_member"]  # untouched tiers kept

    refused = browser.post(url, _rules_form(stored, areas=[], review_checklist="点" * 101))
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "该字段为必填项" in page  # no area left: refused, in Chinese
    assert "每行最多 100 个字" in page
    with unit_run(A.unit):
        assert rules_current().areas == ["study", "work"]  # nothing changed


@pytest.mark.parametrize("changes, field, said", [
    ({"review_checklist": "切实可行\n具体\x00明确"}, "review_checklist", "不能包含空字符"),  # was a database error (500)
    ({"review_checklist": "切实可行\n具体明确\n切实可行"}, "review_checklist", "审核要点重复：切实可行"),
    ({"review_checklist": "\n".join(f"要点{n}" for n in range(21))}, "review_checklist", "最多 20 行"),
    ({"common_community_member": "邻里互助\x00"}, "common_community_member", "不能包含空字符"),
    ({"member_items_min": 0}, "member_items_min", "至少"),
])
def test_the_rules_page_refuses_what_a_round_could_not_use_beside_the_field(world, db, changes, field, said):
    from pledges.selectors import rules_current

    A = world["A"]
    with unit_run(A.unit):
        rules = rules_current()
    response = _console(A.admin).post(f"/u/unit-a/admin/pledges/pledgerules/{rules.pk}/change/", _rules_form(rules, **changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field] and said in " ".join(errors[field])
    with unit_run(A.unit):
        after = rules_current()
        assert (after.review_checklist, after.common_templates, after.member_items_min) == (rules.review_checklist, rules.common_templates, rules.member_items_min)


def test_a_pledges_page_shows_its_items_review_comments_and_history(world, db):
    A = world["A"]
    page = _console(A.admin).get(f"/u/unit-a/admin/pledges/pledge/{A.pledge_id}/change/").content.decode()
    assert "A pledge item 1" in page  # the items
    assert "历史" in page or "承诺历程" in page  # the history inline
    assert "✓ " in page  # the checklist confirmed, point by point, not raw JSON
    assert '{"' not in page.split("review_checklist")[-1][:400]


def _rows(page: str, inline_prefix: str) -> list[str]:
    """The text of each row of an inline table on a console page, cells joined by ' | '."""
    import re

    from django.utils.html import strip_tags

    group = page.split(f'id="{inline_prefix}-group"', 1)[1].split("</table>", 1)[0]
    return [" | ".join(strip_tags(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1:])
            for row in re.findall(r'<tr class="form-row".*?</tr>', group, re.S)]


def test_a_pledge_reviewed_by_the_unit_admin_names_them_in_its_history_and_as_reviewer(world, db):
    from pledges import services
    from pledges.models import Pledge
    from pledges.services import rules_of

    from .support import IN_REVIEW, member_items, submitted_pledge, who

    A = world["A"]
    with unit_run(A.unit):
        round = Round.objects.get(pk=A.round_id)
        pledge = submitted_pledge(A, round, user=A.other_member, items=member_items(content_prefix="Reviewed by the admin"))
        services.pledge_approve(pledge=pledge, who=who(A.admin, admin=True), checklist=rules_of(round).review_checklist,
                                comment="Well tied to the post", today=IN_REVIEW)
        assert Pledge.objects.get(pk=pledge.pk).reviewed_by is None  # the admin has no member record
    page = _console(A.admin).get(f"/u/unit-a/admin/pledges/pledge/{pledge.pk}/change/").content.decode()
    assert "PledgeEvent object" not in page and "PledgeItem object" not in page
    history = _rows(page, "events")
    assert [row.split(" | ")[1:4] for row in history] == [
        ["起草", "A Other", "—"], ["已提交", "A Other", "—"], ["已审核通过", A.admin.full_name, "—"],
    ]
    assert history[-1].endswith("Well tied to the post")
    items = _rows(page, "items")
    assert [row.split(" | ")[:2] for row in items] == [["1", "Reviewed by the admin 1"], ["2", "Reviewed by the admin 2"], ["3", "Correction 1"]]
    assert f"<div class=\"readonly\">{A.admin.full_name}</div>" in page  # the reviewer, by name


def test_an_item_fallen_overdue_is_marked_by_the_system_in_the_history(world, db):
    from pledges.models import PledgeEvent, PledgeItem
    from pledges.services.steps import event_record

    A = world["A"]
    with unit_run(A.unit):
        item = PledgeItem.objects.get(pk=A.item_id)
        event_record(item.pledge, PledgeEvent.Action.OVERDUE, None, item=item)  # as the nightly check records it
    history = _rows(_console(A.admin).get(f"/u/unit-a/admin/pledges/pledge/{A.pledge_id}/change/").content.decode(), "events")
    assert history[-1].split(" | ")[1:4] == ["逾期", "系统", item.content]


def test_an_items_page_shows_its_progress_records_with_their_files(world, db, stored_files_removed):
    from tests.pledges.test_attachments import photo_bytes

    from .support import attachment_on_record

    A = world["A"]
    with unit_run(A.unit):
        photo = attachment_on_record(A, content=photo_bytes(), name="走访照片.jpg", content_type="image/jpeg")
    browser = _console(A.admin)
    page = browser.get(f"/u/unit-a/admin/pledges/pledgeitem/{A.item_id}/change/").content.decode()
    records = _rows(page, "records")
    assert records and records[-1].split(" | ")[1:] == ["A Member", "附件", "走访照片.jpg"]
    link = f'/api/v1/u/unit-a/attachments/{photo.pk}/'
    assert f'href="{link}"' in page
    served = browser.get(link)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"  # the console's session opens it


def test_a_half_year_bulletin_reads_as_a_table_not_json(world, db):
    from datetime import date

    from pledges.cadence import half_year_bulletins_publish
    from pledges.models import Bulletin

    A = world["A"]
    with unit_run(A.unit):
        round = Round.objects.get(pk=A.round_id)
        assert half_year_bulletins_publish(round=round, today=date(round.year + 1, 1, 5)) >= 1  # the second half just ended
        bulletin = Bulletin.objects.get(organization_id=A.branch_id)
    page = _console(A.admin).get(f"/u/unit-a/admin/pledges/bulletin/{bulletin.pk}/change/").content.decode()
    assert f"{round.year}年下半年" in page
    assert '{"' not in page and "member_id" not in page
    assert "<td>A Member</td><td>3</td>" in page  # the member's row: three items
