"""The public board on a phone, as someone scanning the QR code on the village wall sees it:
Chinese whatever the phone's language, the round named once, nothing wider than the screen."""
from __future__ import annotations


def test_the_board_on_a_phone_set_to_english(live_site, browser, world):
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_site}/u/{world['A'].unit.slug}/board/")
        header = page.locator("header").inner_text()
        assert "公示" in header and "Public board" not in page.content()
        assert header.count("2026") == 1 and "A Round" in header  # "2026年度A Round", not the year twice
        assert page.get_by_text("A pledge item 1").first.is_visible()
        assert page.get_by_text("A Member").first.is_visible()
        # Items read as cards on a phone: each value with its Chinese label, and no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.locator("td[data-label]").first.evaluate("e => getComputedStyle(e, '::before').content").count("：") == 1
        assert page.locator("html").get_attribute("lang") == "zh-hans"
    finally:
        context.close()
