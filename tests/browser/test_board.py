"""The public board on a phone, as someone scanning the QR code on the village wall sees it:
Chinese whatever the phone's language, the round named once, nothing wider than the screen."""
from __future__ import annotations

import os

import pytest

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone_in_english(browser):
    context = browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
                                  viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _published_on_board(world, django_db_blocker, key: str) -> tuple[str, int, list[str]]:
    """The current round's title, how many pledges the board should list, and their items' text."""
    from django.db import connection

    from pledges.models import Round
    from pledges.selectors import board_pledges, round_asked
    from tenants.services import unit_run

    with django_db_blocker.unblock(), unit_run(world[key].unit):
        round = round_asked(raw=None)
        pledges = list(board_pledges(round=round).prefetch_related("items"))
        shown = (round.title, len(pledges), [item.content for pledge in pledges for item in pledge.items.all()])
        assert isinstance(round, Round) and pledges  # the shared world has something published
        connection.set_schema_to_public()
    return shown


def test_the_board_on_a_phone_set_to_english(live_site, phone_in_english, world, django_db_blocker):
    title, pledge_count, contents = _published_on_board(world, django_db_blocker, "A")
    page = phone_in_english
    page.goto(f"{live_site}/u/{world['A'].unit.slug}/board/")
    assert page.evaluate("navigator.language") == "en-US"  # an English phone …
    header = page.locator("header").inner_text()
    assert "公示栏" in header and title in header  # … reads the board in Chinese
    year = title[:4]
    assert header.count(year) == 1, header  # "2026年度A Round", not the year twice
    body = page.locator("main").inner_text()
    assert "扫码查看公示栏" in body and "已销号" in body and "Public board" not in page.content() and "closed out" not in body
    labels = page.locator("td[data-label]").evaluate_all("cells => [...new Set(cells.map(c => c.dataset.label))]")
    assert len(labels) == 5 and all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels), labels
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # Every published pledge is listed, with its items.
    assert page.locator(".pledge").count() == pledge_count
    for content in contents:
        assert page.get_by_text(content, exact=True).first.is_visible()
    assert page.get_by_text("A Member").first.is_visible()
    # Items read as cards on a phone: each value with its Chinese label, and no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("td[data-label]").first.evaluate("e => getComputedStyle(e, '::before').content").count("：") == 1
    if os.environ.get("JIANNUO_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["JIANNUO_SCREENSHOTS"], "board-phone.png"), full_page=True)


def test_a_long_unbroken_line_does_not_widen_the_board(live_site, phone_in_english, world, django_db_blocker):
    """A pledge with a web address or a long number in it wraps on a phone instead of pushing the
    page sideways."""
    from django.db import connection, transaction

    from pledges.board import board_changed
    from pledges.models import PledgeItem
    from tenants.services import unit_run

    long_line = "https://example.org/records?id=" + "0123456789abcdef" * 8
    with django_db_blocker.unblock(), unit_run(world["A"].unit):
        item = PledgeItem.objects.filter(pledge__state="published").order_by("pk").first()
        kept = (item.content, item.expected_effect)
        with transaction.atomic():
            PledgeItem.objects.filter(pk=item.pk).update(content=f"每月公开服务记录：{long_line}", expected_effect="1" * 60)
            board_changed()
        connection.set_schema_to_public()
    try:
        page = phone_in_english
        page.goto(f"{live_site}/u/{world['A'].unit.slug}/board/")
        assert page.get_by_text(long_line).first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if os.environ.get("JIANNUO_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["JIANNUO_SCREENSHOTS"], "board-phone-long.png"), full_page=True)
    finally:
        with django_db_blocker.unblock(), unit_run(world["A"].unit):
            with transaction.atomic():
                PledgeItem.objects.filter(pk=item.pk).update(content=kept[0], expected_effect=kept[1])
                board_changed()
            connection.set_schema_to_public()
