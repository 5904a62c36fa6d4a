"""Evaluation reads, in the caller's unit (the routing has switched to its schema)."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from fractions import Fraction
from math import ceil

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pledges.models import PledgeItem
from pledges.services.steps import LEADER_TIERS
from tenants.organization.models import Member, Organization

from . import scoring
from .models import BallotRight, Commendation, Evaluation, MemberScore, PanelMember, Publication, PublicBallot, Rectification, Review
from .scoring import Tally, rounded


def evaluation_list() -> QuerySet[Evaluation]:
    return Evaluation.objects.select_related("round")


def panel_status(*, evaluation, branch_id: int) -> dict:
    """A branch's public panel as whoever runs it follows it: who is registered and who has not
    voted yet (a live token), how many voted, and the quorum (002: evaluators ≥ 80% of the
    branch's members). Never how anyone voted."""

    people = list(PanelMember.objects.filter(evaluation=evaluation, branch_id=branch_id).order_by("name", "id")
                  .values("id", "name", "category", "token__id"))
    members = Member.objects.filter(branch_id=branch_id, status__in=(Member.Status.ACTIVE, Member.Status.MOBILE)).count()
    voted = PublicBallot.objects.filter(evaluation=evaluation, branch_id=branch_id).count()
    needed = ceil(members * evaluation.public_quorum_percent / 100)
    return {
        "branch": branch_id,
        "members": members,
        "quorum": needed,
        "voted": voted,
        "still_needed": max(needed - voted, 0),
        "counts": voted >= needed and voted > 0,
        "panel": [{"id": p["id"], "name": p["name"], "category": p["category"], "has_voted": p["token__id"] is None} for p in people],
    }


# No result is shown of fewer ballots than this: one or two ballots would show how someone voted.
FEWEST_BALLOTS_SHOWN = 3


def public_results(*, evaluation, branch_id: int) -> dict:
    """A branch's public evaluation per member: the grades' counts, the public score (the mean
    points, as the formula uses it) and the satisfaction rate (the two best grades' share) —
    once the quorum is reached and never of fewer than FEWEST_BALLOTS_SHOWN ballots."""
    scheme = evaluation.member_scheme()
    ballots = list(PublicBallot.objects.filter(evaluation=evaluation, branch_id=branch_id).values_list("grades", flat=True))
    tallies: dict[int, Tally] = {}
    for grades in ballots:
        for member_id, grade in grades.items():
            if grade in scheme.points:
                tallies.setdefault(int(member_id), Tally()).add(grade, scheme)
    best_two = {g.code for g in scheme.scale[:2]}
    names = dict(Member.objects.filter(pk__in=tallies).values_list("id", "name")) if tallies else {}
    rows = []
    for member_id, tally in sorted(tallies.items(), key=lambda pair: (names.get(pair[0], ""), pair[0])):
        if tally.count < FEWEST_BALLOTS_SHOWN:
            continue
        mean = tally.mean()
        rows.append({
            "member": {"id": member_id, "name": names.get(member_id, "")},
            "ballots": tally.count,
            "grades": [{"code": g.code, "label": g.label, "count": tally.by_grade.get(g.code, 0)} for g in scheme.scale],
            "public_score": str(rounded(mean)),
            "satisfaction_rate": str(rounded(Fraction(100 * sum(tally.by_grade.get(c, 0) for c in best_two), tally.count))),
        })
    return {"ballots": len(ballots), "members": rows}


# ------------------------------------------------------------------ scores and figures

def _rate(part: int, whole: int) -> Decimal | None:
    return rounded(Fraction(100 * part, whole)) if whole else None


def _withheld(row: dict) -> bool:
    """One or two grades of an anonymous kind: the member's score is not shown (`score_shown`)."""
    return any(0 < sum(row["tallies"].get(method, {}).values()) < FEWEST_BALLOTS_SHOWN for method in ANONYMOUS)


def _figures(rows, best_two: set[str], scale_codes: list[str], items: tuple[int, int], *, shown: bool = True) -> dict:
    """Members' scores summed up: how many, how many scored, the mean shown score, the grade
    distribution, the public's satisfaction (the two best grades' share of all public grades)
    and the close-out rate of the pledge items. A member with one or two grades of an anonymous
    kind is left out of every sum and count (`withheld` says how many): with the others' scores
    beside it, any sum holding theirs would give those grades away. `shown=False` counts everyone
    (the recompute's own checks)."""
    counted = [r for r in rows if not _withheld(r)] if shown else rows
    withheld = len(rows) - len(counted)
    members, rows = len(rows), counted
    scored = [r for r in rows if r["score"] is not None]
    total = sum((r["score"] for r in scored), Decimal(0))
    public = Counter()
    for r in rows:
        public.update(r["tallies"].get("public", {}))
    public_total = sum(public.values())
    public_top = sum(n for code, n in public.items() if code in best_two)
    grades = Counter(r["grade"] for r in scored)
    return {
        "members": members,
        "scored": len(scored),
        "score_sum": total,
        "mean_score": rounded(Fraction(total) / len(scored)) if scored else None,
        "grades": {code: grades.get(code, 0) for code in scale_codes},
        "public_grades": public_total,
        "public_top_two": public_top,
        "satisfaction_rate": _rate(public_top, public_total),
        "items": items[0],
        "items_closed": items[1],
        "close_out_rate": _rate(items[1], items[0]),
        "withheld": withheld,
    }


def _score_rows(evaluation) -> list[dict]:
    return list(MemberScore.objects.filter(evaluation=evaluation).values("member_id", "branch_id", "score", "grade", "tallies"))


def unit_figures(*, evaluation, rows: list[dict] | None = None, shown: bool = True) -> dict:
    """The unit's evaluation figures (what the county reads from the roll-up table), from the
    members' score rows given (all of them, as the full recompute holds them) or read here."""
    scale = evaluation.grades()
    items = PledgeItem.objects.filter(pledge__round_id=evaluation.round_id).aggregate(
        total=Count("id"), closed=Count("id", filter=Q(state=PledgeItem.State.CLOSED)))
    rows = _score_rows(evaluation) if rows is None else rows
    return _figures(rows, {g.code for g in scale[:2]}, [g.code for g in scale], (items["total"], items["closed"]), shown=shown)


def branch_figures(*, evaluation, branch_ids=None, shown: bool = True) -> list[dict]:
    """The same figures per branch (of the branches given, or all)."""
    scale = evaluation.grades()
    rows = _score_rows(evaluation)
    items = PledgeItem.objects.filter(pledge__round_id=evaluation.round_id, pledge__member__isnull=False)
    per_branch_items = {b: (t, c) for b, t, c in items.order_by().values_list("pledge__member__branch_id").annotate(
        t=Count("id"), c=Count("id", filter=Q(state=PledgeItem.State.CLOSED)))}
    by_branch: dict[int, list] = {}
    for r in rows:
        by_branch.setdefault(r["branch_id"], []).append(r)
    names = dict(Organization.objects.filter(pk__in=by_branch).values_list("id", "name"))
    wanted = sorted(by_branch if branch_ids is None else set(branch_ids) & set(by_branch), key=lambda b: (names.get(b, ""), b))
    return [{"branch": {"id": b, "name": names.get(b, "")},
             **_figures(by_branch[b], {g.code for g in scale[:2]}, [g.code for g in scale], per_branch_items.get(b, (0, 0)), shown=shown)}
            for b in wanted]


def results_final(evaluation, today=None) -> bool:
    """Per-member results of anonymous methods show once they can no longer change: the results
    are published (no more ballots then) or the round has ended. Shown live, each new ballot
    would show as the change it made, beside whoever the panel list says has just voted."""
    today = today or timezone.localdate()
    return today > evaluation.round.ends_on or Publication.objects.filter(evaluation=evaluation).exists()


def voted_on(row: MemberScore, viewer) -> set[str]:
    """The anonymous kinds in which the viewer (a member, or None) could have graded this member:
    their own grade is then one of the count, so they need one more before a mean tells them
    nothing (with 3 in all, theirs taken away would leave two — both known if they agree)."""
    if viewer is None or viewer.pk == row.member_id:
        return set()
    kinds = {"peer"} if viewer.branch_id == row.branch_id else set()
    if row.is_leader and viewer.tier in LEADER_TIERS:
        kinds.add("team")
    return kinds


def score_shown(row: MemberScore, scheme: scoring.Scheme, *, final: bool, viewer=None) -> dict:
    """What may be shown of one member's score. Signed components (leader review, organisational
    assessment, self-evaluation) always, with their means. Anonymous ones (peer, team, public) only
    when the results are final, and then a component of fewer than FEWEST_BALLOTS_SHOWN grades
    only as a count (one or two would show how a colleague or an evaluator voted). The score and
    grade wait with them (with the signed components shown, they would give them away)."""
    components = scoring.LEADER_COMPONENTS if row.is_leader else scoring.MEMBER_COMPONENTS
    parts = []
    for method, component in components.items():
        tally = scoring.tally_of_counts(row.tallies.get(method, {}), scheme)
        anonymous = method in ANONYMOUS
        if anonymous and not final:
            count, mean = None, None
        else:
            count = tally.count
            fewest = FEWEST_BALLOTS_SHOWN + (1 if method in voted_on(row, viewer) else 0)
            mean = None if not tally.count or (anonymous and tally.count < fewest) else rounded(tally.mean())
        parts.append({"method": component, "label": scoring.METHOD_NAMES[component], "weight": scheme.weights.get(component, 0),
                      "count": count, "mean": mean})
    withheld = not final or any(p["method"] in ANONYMOUS_COMPONENTS and p["mean"] is None and p["count"] for p in parts)
    return {"score": None if withheld else row.score, "grade": "" if withheld else row.grade, "withheld": withheld, "components": parts}


def member_scores(*, evaluation, member_ids=None, branch_ids=None, viewer=None) -> list[dict]:
    """Each member's result as it may be shown (`score_shown`), with the formula beside it."""
    queryset = MemberScore.objects.filter(evaluation=evaluation).select_related("member")
    if member_ids is not None:
        queryset = queryset.filter(member_id__in=member_ids)
    if branch_ids is not None:
        queryset = queryset.filter(branch_id__in=branch_ids)
    schemes = {False: evaluation.member_scheme(), True: evaluation.leader_scheme()}
    formulas = {leader: scheme.describe() for leader, scheme in schemes.items()}
    final = results_final(evaluation)
    return [{"member": {"id": row.member_id, "name": row.member.name}, "is_leader": row.is_leader,
             **score_shown(row, schemes[row.is_leader], final=final, viewer=viewer), "formula": formulas[row.is_leader]}
            for row in queryset.order_by("member__name", "member_id")]


ANONYMOUS = {"peer", "public", "team"}  # as stored
ANONYMOUS_COMPONENTS = {scoring.PEER, scoring.BRANCH, scoring.PUBLIC, scoring.TEAM}  # as scored


def ballots_for(*, evaluation, member) -> list[dict]:
    """The anonymous ballots a member has still to cast, each with the colleagues it grades."""
    rights = list(BallotRight.objects.filter(evaluation=evaluation, voter=member).values_list("method", flat=True))
    out = []
    for method in sorted(rights):
        ids = ballot_subjects(evaluation=evaluation, method=method, voter=member)
        names = Member.objects.filter(pk__in=ids).order_by("name", "id").values("id", "name")
        out.append({"method": method, "members": list(names)})
    return out


def gradeable(queryset):
    """Members who are graded and grade: enrolled ones (active, or mobile and working elsewhere)."""
    return queryset.filter(status__in=(Member.Status.ACTIVE, Member.Status.MOBILE))


def leaders() -> set[int]:
    """The unit's leading team (班子成员, scored by the leaders' 三评): its county- and
    township-level leaders."""
    return set(gradeable(Member.objects.filter(tier__in=LEADER_TIERS)).values_list("pk", flat=True))


def ballot_subjects(*, evaluation, method: str, voter) -> list[int]:
    """Whom a ballot grades: the others of the voter's branch (peer) or of the leading team."""
    if method == "peer":
        ids = set(gradeable(Member.objects.filter(branch_id=voter.branch_id)).values_list("pk", flat=True))
    else:
        ids = leaders()
    return sorted(ids - {voter.pk})


def reviews_visible(*, evaluation, who) -> QuerySet:
    """Signed reviews: a member reads those of them, a secretary those of the members they
    oversee, unit admins all."""
    reviews = Review.objects.filter(evaluation=evaluation).select_related("subject").order_by("subject__name", "subject_id", "method", "stage")
    if who.sees_everything:
        return reviews
    return reviews.filter(Q(subject_id=who.member_id or 0) | Q(subject__branch_id__in=who.oversees_ids))


# ------------------------------------------------------------------ results and consequences

def results_visible(*, evaluation, who) -> list[dict] | None:
    """The results a caller may read: unit admins and secretaries (for what they oversee) always;
    members once published, within the scope (their branch, or the unit). None: nothing to show."""
    publication = Publication.objects.filter(evaluation=evaluation).first()
    if who.sees_everything:
        branch_ids = None
    elif who.oversees_ids:
        branch_ids = set(who.oversees_ids)
    elif publication is None or who.member is None:
        return None
    elif publication.scope == Publication.Scope.BRANCH:
        branch_ids = {who.member.branch_id}
    else:
        branch_ids = None
    return result_rows(evaluation=evaluation, branch_ids=branch_ids, viewer=who.member)


def result_rows(*, evaluation, branch_ids=None, viewer=None) -> list[dict]:
    """Each member's result as it may be shown (`score_shown`) with their branch, the grade's
    label, and what followed: commended, under rectification, rectified or refused (不合格)."""
    queryset = MemberScore.objects.filter(evaluation=evaluation).select_related("member", "branch")
    if branch_ids is not None:
        queryset = queryset.filter(branch_id__in=branch_ids)
    schemes = {False: evaluation.member_scheme(), True: evaluation.leader_scheme()}
    labels = {g.code: g.label for g in evaluation.grades()}
    commended = set(Commendation.objects.filter(evaluation=evaluation).values_list("member_id", flat=True))
    rectifications = dict(Rectification.objects.filter(evaluation=evaluation).order_by("opened_on", "id").values_list("member_id", "state"))
    rows, final = [], results_final(evaluation)
    for row in queryset.order_by("branch__sort_order", "branch_id", "member__name", "member_id"):
        shown = score_shown(row, schemes[row.is_leader], final=final, viewer=viewer)
        state = rectifications.get(row.member_id, "")
        rows.append({"member": {"id": row.member_id, "name": row.member.name}, "branch": {"id": row.branch_id, "name": row.branch.name},
                     "score": shown["score"], "grade": shown["grade"], "grade_label": labels.get(shown["grade"], ""),
                     "withheld": shown["withheld"], "components": shown["components"], "commended": row.member_id in commended,
                     "rectification": state, "unqualified": state == Rectification.State.REFUSED})
    return rows


def commendation_proposal(*, evaluation) -> list[dict]:
    """Who the scale's best grade proposes for the commendation list (shown scores only)."""
    best = evaluation.grades()[0].code
    return [r for r in result_rows(evaluation=evaluation) if r["grade"] == best and not r["rectification"]]


def rectifications_visible(*, evaluation, who) -> QuerySet:
    """Rectifications: a member reads their own, a secretary those they oversee, unit admins all."""
    rectifications = Rectification.objects.filter(evaluation=evaluation).select_related("member").prefetch_related("steps") \
        .order_by("state", "deadline", "id")
    if who.sees_everything:
        return rectifications
    return rectifications.filter(Q(member_id=who.member_id or 0) | Q(member__branch_id__in=who.oversees_ids))
