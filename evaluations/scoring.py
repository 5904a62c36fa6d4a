"""The evaluation formula (评诺): from the grades each method gave a member to one score and one
final grade, in exact arithmetic, the same whether computed ballot by ballot as they arrive or
all at once (the tallies it reads are sums and counts, which add up the same in any order).

    component score = mean points of the grades that method gave (self, peer, public, leader,
                      organisation; for leaders: branch, public, team)
    final score     = Σ weight × component score / Σ weight of the components present
                      (or, when missing components count as zero, / Σ of every weight)
    shown score     = final score rounded half up to one decimal
    final grade     = the first grade of the scale whose threshold the shown score reaches

Every screen shows the formula beside the score (`Scheme.describe`). Nothing here touches the
database: the services read tallies and call `member_result`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Iterable, Mapping

# The methods, as stored (DOMAIN.md "Evaluation"; 002, 004).
SELF, PEER, PUBLIC, LEADER, ORGANISATION, BRANCH, TEAM = "self", "peer", "public", "leader", "organisation", "branch", "team"
METHOD_NAMES = {
    SELF: "自评", PEER: "党员互评", PUBLIC: "群众评议", LEADER: "领导点评", ORGANISATION: "组织考评",
    BRANCH: "所在支部评议", TEAM: "班子成员评议",
}


@dataclass(frozen=True)
class Grade:
    code: str
    label: str
    points: int  # what one ballot with this grade is worth
    threshold: int  # the shown score a member needs for this final grade


# 004: 满意 / 较满意 / 基本满意 / 不满意; 001: 好 / 较好 / 一般 / 差. Points and thresholds are ours
# (the sources give none); a unit changes them before its evaluation opens.
SATISFACTION = (
    Grade("satisfied", "满意", 100, 90),
    Grade("fairly_satisfied", "较满意", 80, 75),
    Grade("basically_satisfied", "基本满意", 60, 60),
    Grade("dissatisfied", "不满意", 0, 0),
)
GOOD_TO_POOR = (
    Grade("good", "好", 100, 90),
    Grade("fairly_good", "较好", 80, 75),
    Grade("average", "一般", 60, 60),
    Grade("poor", "差", 0, 0),
)

RENORMALISE, COUNT_AS_ZERO = "renormalise", "zero"


@dataclass(frozen=True)
class Scheme:
    """Weights per method (whole percentages or any non-negative integers: only their ratios
    count), the grade scale from best to worst, and what a missing component means."""

    weights: Mapping[str, int]
    scale: tuple[Grade, ...] = SATISFACTION
    missing: str = RENORMALISE

    def __post_init__(self):
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            raise ValueError("weights must be non-negative and not all zero")
        thresholds = [g.threshold for g in self.scale]
        if not self.scale or thresholds != sorted(thresholds, reverse=True) or thresholds[-1] != 0:
            raise ValueError("thresholds run from the best grade down to 0")
        if self.missing not in (RENORMALISE, COUNT_AS_ZERO):
            raise ValueError("missing is renormalise or zero")

    @property
    def points(self) -> dict[str, int]:
        return {g.code: g.points for g in self.scale}

    def grade_for(self, shown: Decimal) -> Grade:
        return next(g for g in self.scale if shown >= g.threshold)

    def describe(self) -> str:
        """The formula as every user sees it beside a score."""
        counted = [(m, w) for m, w in self.weights.items() if w]
        total = sum(w for _m, w in counted)
        parts = " + ".join(f"{METHOD_NAMES.get(m, m)}×{_percent(w, total)}" for m, w in counted)
        scale = "，".join(f"{g.label}{g.points}分" for g in self.scale)
        grades = "，".join(f"{g.label}≥{g.threshold}" if g.threshold else f"{g.label}<{self.scale[i - 1].threshold}"
                          for i, g in enumerate(self.scale))
        missing = ("缺少某项评价时，按其余各项的权重折算" if self.missing == RENORMALISE else "缺少某项评价时，该项按0分计")
        return f"综合得分 = {parts}（各项取该项所有评价的平均分：{scale}）；{missing}；得分四舍五入保留一位小数；等次：{grades}。"


# Defaults (004): ordinary members get four evaluations, leaders three. Self-evaluation is
# reported beside the score and weighs nothing unless a unit gives it a weight.
MEMBER_SCHEME = Scheme(weights={PEER: 30, PUBLIC: 30, LEADER: 20, ORGANISATION: 20, SELF: 0})
LEADER_SCHEME = Scheme(weights={BRANCH: 40, PUBLIC: 40, TEAM: 20, SELF: 0})


def _percent(weight: int, total: int) -> str:
    share = Fraction(weight * 100, total)
    return f"{share.numerator}%" if share.denominator == 1 else f"{float(share):.1f}%"


@dataclass
class Tally:
    """One method's grades for one member: a sum of points and a count, so ballots add up in
    any order and a recount gives the same tally."""

    points: int = 0
    count: int = 0
    by_grade: dict[str, int] = field(default_factory=dict)

    def add(self, grade: str, scheme: Scheme) -> None:
        self.points += scheme.points[grade]
        self.count += 1
        self.by_grade[grade] = self.by_grade.get(grade, 0) + 1

    def mean(self) -> Fraction | None:
        return Fraction(self.points, self.count) if self.count else None


def tally(grades: Iterable[str], scheme: Scheme) -> Tally:
    result = Tally()
    for grade in grades:
        result.add(grade, scheme)
    return result


@dataclass(frozen=True)
class Result:
    exact: Fraction | None  # None: no component weighing anything has a ballot yet
    shown: Decimal | None
    grade: Grade | None
    components: dict[str, Fraction | None]


def member_result(tallies: Mapping[str, Tally], scheme: Scheme) -> Result:
    components = {method: (tallies[method].mean() if method in tallies else None) for method in scheme.weights}
    weighed = [(scheme.weights[m], score) for m, score in components.items() if scheme.weights[m]]
    present = [(w, s) for w, s in weighed if s is not None]
    if not present:
        return Result(None, None, None, components)
    if scheme.missing == RENORMALISE:
        exact = sum((w * s for w, s in present), Fraction(0)) / sum(w for w, _s in present)
    else:
        exact = sum((w * s for w, s in present), Fraction(0)) / sum(w for w, _s in weighed)
    shown = rounded(exact)
    return Result(exact, shown, scheme.grade_for(shown), components)


def rounded(value: Fraction) -> Decimal:
    """Half up to one decimal, from the exact value (never through a float). Scores are never
    negative, so half up is away from zero."""
    tenths = value * 10
    whole, rest = divmod(tenths.numerator, tenths.denominator)
    if 2 * rest >= tenths.denominator:
        whole += 1
    return Decimal(whole).scaleb(-1)


# Methods as stored (what gave the grade) to components of each scheme: a leader's branch grades
# them on the ballot its members use for each other.
MEMBER_COMPONENTS = {SELF: SELF, PEER: PEER, PUBLIC: PUBLIC, LEADER: LEADER, ORGANISATION: ORGANISATION}
LEADER_COMPONENTS = {SELF: SELF, PEER: BRANCH, PUBLIC: PUBLIC, TEAM: TEAM}


def tally_of_counts(counts: Mapping[str, int], scheme: Scheme) -> Tally:
    """A tally from stored counts per grade (grades no longer on the scale are ignored)."""
    result = Tally()
    for grade, n in counts.items():
        if grade in scheme.points and n:
            result.points += scheme.points[grade] * n
            result.count += n
            result.by_grade[grade] = n
    return result


def result_of_counts(counts: Mapping[str, Mapping[str, int]], scheme: Scheme, *, is_leader: bool) -> Result:
    """A member's result from their stored counts ({method: {grade: count}})."""
    components = LEADER_COMPONENTS if is_leader else MEMBER_COMPONENTS
    tallies = {components[m]: tally_of_counts(by_grade, scheme) for m, by_grade in counts.items() if m in components}
    return member_result({m: t for m, t in tallies.items() if t.count}, scheme)


def shown_of_counts(counts: Mapping[str, Mapping[str, int]], scheme: Scheme, *, is_leader: bool) -> tuple[Decimal | None, str]:
    """The shown score and grade code of `result_of_counts`, in whole-number arithmetic (the full
    recompute scores every member of a county; Fractions there cost more than the queries).
    Equal to `result_of_counts` for every input (tests/evaluations/test_scoring.py)."""
    components = LEADER_COMPONENTS if is_leader else MEMBER_COMPONENTS
    points_of, weights = scheme.points, scheme.weights
    present: list[tuple[int, int, int]] = []  # weight, points, count
    for method, by_grade in counts.items():
        component = components.get(method)
        if component is None or not weights.get(component):
            continue
        points = count = 0
        for grade, n in by_grade.items():
            if n and grade in points_of:
                points += points_of[grade] * n
                count += n
        if count:
            present.append((weights[component], points, count))
    if not present:
        return None, ""
    total_weight = sum(w for w, _p, _c in present) if scheme.missing == RENORMALISE else sum(w for w in weights.values() if w)
    denominator = 1
    for _w, _p, count in present:
        denominator *= count
    numerator = sum(w * points * (denominator // count) for w, points, count in present)
    whole, rest = divmod(numerator * 10, denominator * total_weight)
    if 2 * rest >= denominator * total_weight:
        whole += 1
    grade = next(g for g in scheme.scale if whole >= g.threshold * 10)
    return Decimal(whole).scaleb(-1), grade.code
