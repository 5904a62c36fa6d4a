"""What the pledge models say about themselves: a round's name, the same wherever it is shown."""
from __future__ import annotations

import pytest
from django.utils import translation

from pledges.models import Round, year_said


@pytest.mark.parametrize("theme", ["2026年度党员公开承诺", "２０２６年度党员公开承诺", "二〇二六年度党员公开承诺", "二零二六年党员承诺践诺", "2026 年 亮身份"])
def test_a_theme_that_says_its_year_is_the_rounds_name(theme):
    with translation.override("zh-hans"):
        assert Round(year=2026, theme=f"  {theme} ").title == theme


def test_a_theme_without_its_year_gets_it_in_front_once():
    round = Round(year=2026, theme="亮身份 作表率")
    with translation.override("zh-hans"):
        assert round.title == "2026年度亮身份 作表率" == str(round)
    with translation.override("en"):
        assert round.title == "2026: 亮身份 作表率"


def test_another_year_in_the_theme_is_not_this_rounds_year():
    assert not year_said("2025年度党员公开承诺", 2026)
    assert not year_said("二〇二五年度", 2026)
    assert year_said("2025—2026学年承诺", 2026)
