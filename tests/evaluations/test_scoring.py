"""The evaluation formula: same inputs, same scores — whatever the order ballots arrive in,
ballot by ballot or all at once; weights count only by their ratios; a missing component is
treated as the scheme says; rounding is half up from the exact value; the grade follows the
shown score. Property-based (hypothesis) over random schemes and ballot histories."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluations.scoring import (
    BRANCH, COUNT_AS_ZERO, GOOD_TO_POOR, LEADER, MEMBER_SCHEME, ORGANISATION, PEER, PUBLIC, RENORMALISE, SATISFACTION, SELF, TEAM,
    Grade, Scheme, Tally, member_result, result_of_counts, rounded, shown_of_counts, tally,
)

METHODS = [PEER, PUBLIC, LEADER, ORGANISATION, SELF]


@st.composite
def scales(draw):
    """A scale of 2–5 grades, points and thresholds falling from the best down to 0."""
    size = draw(st.integers(2, 5))
    points = sorted(draw(st.lists(st.integers(0, 100), min_size=size, max_size=size, unique=True)), reverse=True)
    thresholds = sorted(draw(st.lists(st.integers(1, 100), min_size=size - 1, max_size=size - 1, unique=True)), reverse=True) + [0]
    return tuple(Grade(f"g{i}", f"等次{i}", p, t) for i, (p, t) in enumerate(zip(points, thresholds)))


@st.composite
def schemes(draw):
    weights = dict(zip(METHODS, draw(st.lists(st.integers(0, 60), min_size=len(METHODS), max_size=len(METHODS)))))
    if not any(weights.values()):
        weights[PEER] = 1
    return Scheme(weights=weights, scale=draw(scales()), missing=draw(st.sampled_from([RENORMALISE, COUNT_AS_ZERO])))


@st.composite
def histories(draw, scheme):
    """Ballots as (method, grade), in arrival order; some methods may have none."""
    grades = [g.code for g in scheme.scale]
    return draw(st.lists(st.tuples(st.sampled_from(METHODS), st.sampled_from(grades)), max_size=60))


def batch(history, scheme) -> dict[str, Tally]:
    return {method: tally([g for m, g in history if m == method], scheme) for method in {m for m, _g in history}}


def incremental(history, scheme) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for method, grade in history:
        tallies.setdefault(method, Tally()).add(grade, scheme)
    return tallies


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_ballot_by_ballot_equals_all_at_once_in_any_order(data):
    scheme = data.draw(schemes())
    history = data.draw(histories(scheme))
    shuffled = data.draw(st.permutations(history))
    at_once = member_result(batch(history, scheme), scheme)
    assert member_result(incremental(history, scheme), scheme) == at_once
    assert member_result(incremental(shuffled, scheme), scheme) == at_once


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_score_lies_between_the_lowest_and_highest_points(data):
    scheme = data.draw(schemes())
    result = member_result(batch(data.draw(histories(scheme)), scheme), scheme)
    if result.exact is None:
        assert result.shown is None and result.grade is None
        return
    lowest = 0 if scheme.missing == COUNT_AS_ZERO else min(g.points for g in scheme.scale)
    assert lowest <= result.exact <= max(g.points for g in scheme.scale)
    assert abs(Fraction(result.shown) - result.exact) <= Fraction(1, 20)  # rounded to the tenth


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(2, 9))
def test_only_the_ratios_of_the_weights_count(data, factor):
    scheme = data.draw(schemes())
    history = data.draw(histories(scheme))
    scaled = Scheme(weights={m: w * factor for m, w in scheme.weights.items()}, scale=scheme.scale, missing=scheme.missing)
    assert member_result(batch(history, scheme), scheme).exact == member_result(batch(history, scaled), scaled).exact


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_missing_component_is_left_out_or_counted_as_zero(data):
    scheme = data.draw(schemes())
    history = [(m, g) for m, g in data.draw(histories(scheme)) if m != PUBLIC]  # no public evaluation yet
    result = member_result(batch(history, scheme), scheme)
    present = {m: t.mean() for m, t in batch(history, scheme).items() if scheme.weights[m]}
    if not present:
        assert result.exact is None
        return
    numerator = sum(scheme.weights[m] * s for m, s in present.items())
    if scheme.missing == RENORMALISE:
        assert result.exact == numerator / sum(scheme.weights[m] for m in present)
    else:
        assert result.exact == numerator / sum(w for w in scheme.weights.values() if w)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_best_grade_never_lowers_a_score(data):
    scheme = data.draw(schemes())
    history = data.draw(histories(scheme))
    method = data.draw(st.sampled_from([m for m, w in scheme.weights.items() if w]))
    before = member_result(batch(history, scheme), scheme)
    after = member_result(batch(history + [(method, scheme.scale[0].code)], scheme), scheme)
    if before.exact is not None:
        assert after.exact >= before.exact


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_grade_follows_the_shown_score_and_ties_go_up(data):
    scheme = data.draw(schemes())
    result = member_result(batch(data.draw(histories(scheme)), scheme), scheme)
    if result.grade is None:
        return
    index = scheme.scale.index(result.grade)
    assert result.shown >= result.grade.threshold
    assert index == 0 or result.shown < scheme.scale[index - 1].threshold


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_rounding_is_half_up_from_the_exact_value(numerator, denominator):
    value = Fraction(numerator, denominator)
    shown = rounded(value)
    assert shown == Decimal(shown).quantize(Decimal("0.1"))
    assert Fraction(shown) - Fraction(1, 20) <= value < Fraction(shown) + Fraction(1, 20)


def test_worked_examples_of_the_default_scheme():
    # Peer 满意 ×2 and 较满意 ×1 (mean 280/3), public 较满意, leader 满意, organisation 基本满意.
    history = [(PEER, "satisfied"), (PEER, "satisfied"), (PEER, "fairly_satisfied"), (PUBLIC, "fairly_satisfied"),
               (LEADER, "satisfied"), (ORGANISATION, "basically_satisfied"), (SELF, "dissatisfied")]
    result = member_result(batch(history, MEMBER_SCHEME), MEMBER_SCHEME)
    # (30·280/3 + 30·80 + 20·100 + 20·60) / 100 = (2800 + 2400 + 2000 + 1200) / 100 = 84; self weighs nothing.
    assert result.exact == 84 and result.shown == Decimal("84.0") and result.grade.label == "较满意"
    # 0.05 is exactly half a tenth: up.
    assert rounded(Fraction(8945, 100)) == Decimal("89.5") and rounded(Fraction(89949, 1000)) == Decimal("89.9")
    assert rounded(Fraction(179, 2)) == Decimal("89.5")
    # Without public evaluation yet: the other three, renormalised to their 70%.
    partial = member_result(batch([m for m in history if m[0] != PUBLIC], MEMBER_SCHEME), MEMBER_SCHEME)
    assert partial.exact == Fraction(2800 + 2000 + 1200, 70) and partial.components[PUBLIC] is None


def test_the_formula_is_described_as_users_read_it():
    text = MEMBER_SCHEME.describe()
    assert "党员互评×30%" in text and "群众评议×30%" in text and "领导点评×20%" in text and "组织考评×20%" in text
    assert "自评" not in text  # weighs nothing: not in the formula
    assert "按其余各项的权重折算" in text and "满意≥90" in text and "四舍五入" in text
    other = Scheme(weights={PEER: 1, PUBLIC: 2}, scale=GOOD_TO_POOR, missing=COUNT_AS_ZERO)
    assert "党员互评×33.3%" in other.describe() and "群众评议×66.7%" in other.describe() and "按0分计" in other.describe()


@pytest.mark.parametrize("weights, scale, missing", [
    ({PEER: -1, PUBLIC: 2}, SATISFACTION, RENORMALISE),
    ({PEER: 0, PUBLIC: 0}, SATISFACTION, RENORMALISE),
    ({PEER: 1}, (Grade("a", "甲", 100, 50), Grade("b", "乙", 0, 60)), RENORMALISE),
    ({PEER: 1}, (Grade("a", "甲", 100, 50), Grade("b", "乙", 0, 10)), RENORMALISE),
    ({PEER: 1}, SATISFACTION, "average"),
])
def test_a_scheme_that_cannot_score_is_refused(weights, scale, missing):
    with pytest.raises(ValueError):
        Scheme(weights=weights, scale=scale, missing=missing)


@settings(max_examples=400, deadline=None)
@given(st.data(), st.booleans())
def test_whole_number_scoring_equals_the_exact_formula(data, is_leader):
    """The full recompute's whole-number path gives the shown score and grade of the exact one,
    for members and leaders (whose branch's peer ballots count as 所在支部评议)."""
    scheme = data.draw(schemes())
    if is_leader:
        scheme = Scheme(weights={BRANCH: scheme.weights[PEER], PUBLIC: scheme.weights[PUBLIC], TEAM: scheme.weights[LEADER],
                                 SELF: scheme.weights[SELF]} if any((scheme.weights[PEER], scheme.weights[PUBLIC], scheme.weights[LEADER],
                                                                     scheme.weights[SELF])) else {BRANCH: 1},
                        scale=scheme.scale, missing=scheme.missing)
    stored = [PEER, PUBLIC, TEAM, SELF] if is_leader else METHODS
    grades = [g.code for g in scheme.scale]
    counts = data.draw(st.dictionaries(st.sampled_from(stored), st.dictionaries(st.sampled_from(grades), st.integers(0, 40)), max_size=5))
    exact = result_of_counts(counts, scheme, is_leader=is_leader)
    assert shown_of_counts(counts, scheme, is_leader=is_leader) == (exact.shown, exact.grade.code if exact.grade else "")
