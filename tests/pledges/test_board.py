"""The public board (公示栏): anyone reads a unit's published pledges, and nothing else —
no drafts, no pledges under review, no phone numbers, no review comments, no evidence."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from xml.etree import ElementTree

import segno
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledges import services
from pledges.models import Pledge, PledgeItem, Round
from pledges.services import rules_of
from tenants.organization.models import Organization
from tenants.services import unit_run
from tests.conftest import PHONE_PREFIX
from tests.pledges.support import (
    IN_PROPOSE, IN_PUBLISH, IN_REVIEW, TODAY, member_items, member_of, published_pledge, round_around_today, submitted_pledge, who,
)


def board_of(unit_world, query: str = "", **headers):
    return Client().get(f"/u/{unit_world.unit.slug}/board/{query}", **headers)


def items_saying(*contents: str, corrections: int = 1) -> list[dict]:
    items = member_items(main=len(contents), corrections=corrections)
    for data, content in zip(items, contents):
        data["content"] = content
    return items


def published_by_admins(unit_world, round, *, user, items: list[dict]):
    """For members whose branch has no secretary (or who are the secretary): the unit admins review."""
    pledge = submitted_pledge(unit_world, round, user=user, items=items)
    admins = who(unit_world.admin, admin=True)
    pledge = services.pledge_approve(pledge=pledge, who=admins, checklist=rules_of(round).review_checklist, today=IN_REVIEW)
    return services.pledge_publish(pledge=pledge, who=admins, today=IN_PUBLISH)


def test_anyone_reads_the_published_pledges_without_logging_in(world, db):
    with unit_run(world["A"].unit):
        published_pledge(world["A"], round_around_today(theme="亮身份 作表率"), items=items_saying("帮助农户开网店", "每月讲一次党课"))

    response = board_of(world["A"])

    assert response.status_code == 200
    page = response.content.decode()
    assert "帮助农户开网店" in page and "每月讲一次党课" in page
    assert "A Member" in page and "A Branch 1" in page and "亮身份 作表率" in page
    group = response.context["groups"][0]
    assert (group.items, group.closed, group.overdue) == (3, 0, 0)
    assert 'src="/u/unit-a/board/qr.svg"' in page


def test_board_hides_drafts_pledges_under_review_phones_comments_and_evidence(world, db):
    a = world["A"]
    with unit_run(a.unit):
        round = round_around_today()
        services.pledge_create(round=round, who=who(a.other_member), items=items_saying("草稿里的承诺", "还没想好"), today=IN_PROPOSE)
        submitted_pledge(a, round, user=a.secretary, items=items_saying("待审核的承诺", "审核中二", "审核中三"))
        # The member's pledge is returned with comments, resubmitted, approved with a comment, published.
        pledge = submitted_pledge(a, round, items=items_saying("公开的承诺", "公开的第二项"))
        first = pledge.items.order_by("position").first()
        secretary = who(a.secretary)
        services.pledge_return(pledge=pledge, who=secretary, comment="审核意见保密", item_comments={first.pk: "逐项意见保密"}, today=IN_REVIEW)
        services.pledge_submit(pledge=pledge, who=who(a.member), today=IN_REVIEW)
        services.pledge_approve(pledge=pledge, who=secretary, checklist=rules_of(round).review_checklist, comment="批准意见保密", today=IN_REVIEW)
        services.pledge_publish(pledge=pledge, who=secretary, today=IN_PUBLISH)
        # One item fulfilled and closed out: the board shows that and when, not how it was verified.
        first.refresh_from_db()
        services.record_add(item=first, who=who(a.member), text="记实内容保密", recorded_on=TODAY, today=TODAY)
        services.item_close(item=first, who=secretary, evidence="销号证据保密", today=TODAY)
        closed = PledgeItem.objects.get(pk=first.pk)

    response = board_of(a)

    assert response.status_code == 200
    page = response.content.decode()
    assert "公开的承诺" in page and "公开的第二项" in page
    for hidden in ("草稿里的承诺", "待审核的承诺", "审核意见保密", "逐项意见保密", "批准意见保密", "记实内容保密", "销号证据保密", PHONE_PREFIX["A"]):
        assert hidden not in page, hidden
    assert "A Other" not in page and "A Secretary" not in page  # neither has anything published
    assert f"{timezone.localtime(closed.closed_at):%Y-%m-%d}" in page
    assert "state-closed" in page and str(PledgeItem.State.CLOSED.label) in page
    group = response.context["groups"][0]
    assert (group.items, group.closed, group.overdue) == (3, 1, 0)


def test_board_of_one_unit_never_shows_another_units_pledges(world, db):
    with unit_run(world["A"].unit):
        published_pledge(world["A"], round_around_today(), items=items_saying("甲单位的承诺", "甲单位第二项"))
    with unit_run(world["B"].unit):
        published_pledge(world["B"], round_around_today(), items=items_saying("乙单位的承诺", "乙单位第二项"))

    page = board_of(world["B"]).content.decode()

    assert "乙单位的承诺" in page and "B Member" in page
    assert "甲单位的承诺" not in page and "A Member" not in page and "Unit A" not in page
    assert "A pledge item" not in board_of(world["B"], f"?round={world['A'].round_id}").content.decode()


def test_a_collective_pledge_is_shown_under_its_organisation_with_the_members_names(world, db):
    a = world["A"]
    with unit_run(a.unit):
        round = round_around_today()
        branch = Organization.objects.get(pk=a.branch_id)
        pledge = services.pledge_create(
            round=round, who=who(a.secretary), subject=Pledge.Subject.COLLECTIVE, organization=branch,
            co_members=[member_of(a.secretary), member_of(a.member)], items=items_saying("支部党员集体承诺", "集体第二项"), today=IN_PROPOSE,
        )
        services.pledge_submit(pledge=pledge, who=who(a.secretary), today=IN_PROPOSE)
        admins = who(a.admin, admin=True)
        services.pledge_approve(pledge=pledge, who=admins, checklist=rules_of(round).review_checklist, today=IN_REVIEW)
        services.pledge_publish(pledge=pledge, who=admins, today=IN_PUBLISH)

    response = board_of(a)

    page = response.content.decode()
    assert "支部党员集体承诺" in page
    assert "A Secretary、A Member" in page or "A Member、A Secretary" in page
    assert PHONE_PREFIX["A"] not in page
    [group] = response.context["groups"]
    assert group.organization.name == "A Branch 1" and group.items == 3


def test_a_unit_without_a_round_shows_a_friendly_page(world, db):
    with unit_run(world["C"].unit):
        # Unit C as it was before opening its first round (the test's transaction is rolled back).
        Pledge.objects.all().delete()
        Round.objects.all().delete()

    response = Client().get("/u/unit-c/board/")
    assert response.status_code == 200
    assert response.context["round"] is None
    assert "尚未开启承诺轮次" in response.content.decode()


def test_an_earlier_round_is_chosen_by_id_and_bad_ids_are_not_found(world, db):
    with unit_run(world["A"].unit):
        published_pledge(world["A"], round_around_today(), items=items_saying("今年的承诺", "今年第二项"))
        last_year = services.round_open(year=TODAY.year - 1, theme="去年的轮次", dates={
            name: TODAY - timedelta(days=400 - 10 * n) for n, name in enumerate(
                ("mobilise_on", "propose_on", "review_on", "publish_on", "fulfil_on", "evaluate_on", "ends_on"))
        })

    response = board_of(world["A"], f"?round={last_year.pk}")
    assert response.status_code == 200
    assert response.context["round"] == last_year
    page = response.content.decode()
    assert "去年的轮次" in page and "今年的承诺" not in page

    for bad in ("abc", "999999", "-1", "0", "1.5", "99999999999999999999999", "١"):
        assert board_of(world["A"], f"?round={bad}").status_code == 404, bad


def test_qr_code_is_a_cacheable_svg_of_the_boards_address(world, db):
    response = Client().get("/u/unit-a/board/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    assert ElementTree.fromstring(response.content).tag == "{http://www.w3.org/2000/svg}svg"
    expected = BytesIO()
    segno.make("http://testserver/u/unit-a/board/", error="m").save(expected, kind="svg", scale=4)
    assert response.content == expected.getvalue()


def test_board_queries_do_not_grow_with_the_number_of_pledges(world, db):
    a = world["A"]
    with unit_run(a.unit):
        round = round_around_today()
        published_pledge(a, round, items=items_saying("第一份承诺", "第一份第二项"))

    with CaptureQueriesContext(connection) as one:
        assert board_of(a).status_code == 200

    with unit_run(a.unit), TestCase.captureOnCommitCallbacks(execute=True):  # committed: the board is rebuilt
        published_by_admins(a, round, user=a.other_member, items=items_saying("第二份承诺", "第二份第二项"))
        published_by_admins(a, round, user=a.secretary, items=items_saying("书记的承诺", "书记第二项", "书记第三项"))

    with CaptureQueriesContext(connection) as three:
        response = board_of(a)

    page = response.content.decode()
    assert "第一份承诺" in page and "第二份承诺" in page and "书记的承诺" in page
    assert [g.organization.name for g in response.context["groups"]] == ["A Branch 1", "A Branch 2"]
    assert len(three.captured_queries) == len(one.captured_queries)


def test_a_large_board_shows_one_organisation_at_a_time(world, db, monkeypatch):
    from pledges import board

    monkeypatch.setattr(board, "BOARD_PAGE_PLEDGES", 0)  # as if the unit had thousands of pledges
    A = world["A"]
    page = Client().get("/u/unit-a/board/")
    text = page.content.decode()
    assert page.status_code == 200 and f"organization={A.branch_id}" in text and "A pledge item 1" in text
    chosen = Client().get(f"/u/unit-a/board/?organization={A.branch_id}")
    assert chosen.status_code == 200 and "A pledge item 1" in chosen.content.decode()
    for bad in (str(A.branch2_id), "abc", "99999999999999999999"):  # branch 2 has nothing published
        assert Client().get(f"/u/unit-a/board/?organization={bad}").status_code == 404



def test_the_board_is_built_once_until_something_on_it_changes(world, db):
    """A village scanning the QR code gets the kept page; a publication or a close-out shows at once."""
    a = world["A"]
    with unit_run(a.unit):
        round = round_around_today()
        pledge = published_pledge(a, round, items=items_saying("第一份承诺", "第一份第二项"))
    first = board_of(a)
    assert "第一份承诺" in first.content.decode()
    with CaptureQueriesContext(connection) as kept:
        again = board_of(a)
    assert again.content == first.content
    assert not any("pledges_" in q["sql"] for q in kept.captured_queries)  # nothing of the pledges was read again
    english = board_of(a, HTTP_ACCEPT_LANGUAGE="en")
    assert english.content == first.content  # one board, in the language of its content, whoever reads it

    with unit_run(a.unit), TestCase.captureOnCommitCallbacks(execute=True):
        item = pledge.items.order_by("position").first()
        services.record_add(item=item, who=who(a.member), text="完成", recorded_on=TODAY)
        services.item_close(item=item, who=who(a.secretary), evidence="现场核实")
    after = board_of(a).content.decode()
    assert after != first.content.decode()
    assert 'class="state state-closed"' in after and 'class="state state-closed"' not in first.content.decode()


def test_the_board_reads_in_chinese_for_every_browser_and_names_the_year_once(world, db):
    """A board on a village wall reads in one language, the language of its content: an
    English browser gets the same Chinese page (README, "The public")."""
    with unit_run(world["A"].unit):
        published_pledge(world["A"], round_around_today(theme="2026年度党员公开承诺"), items=items_saying("帮助农户开网店", "每月讲一次党课"))
    chinese, english = board_of(world["A"]), board_of(world["A"], HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.content == chinese.content
    page = english.content.decode()
    assert english["Content-Language"] == "zh-hans" and '<html lang="zh-hans">' in page
    assert "公示" in page and "Public board" not in page and "items pledged" not in page
    header = page.split("</header>")[0]
    assert header.count("2026") == 1 and "2026年度党员公开承诺" in header


def test_a_theme_without_its_year_is_shown_with_it_once(world, db):
    with unit_run(world["A"].unit):
        round = round_around_today(theme="亮身份 作表率")
        published_pledge(world["A"], round, items=items_saying("帮助农户开网店", "每月讲一次党课"))
    header = board_of(world["A"], f"?round={round.pk}").content.decode().split("</header>")[0]
    assert f"{round.year}年度亮身份 作表率" in header and header.count(str(round.year)) == 1
