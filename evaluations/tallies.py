"""The running tallies (MemberScore): kept current ballot by ballot, rebuilt in full to check.

Incremental (`scores_apply_pending`): whatever is pending — public ballots not yet `applied`, ballot-box
counts beyond their `applied_count`, reviews and self-assessments whose `applied_grade` differs from
their grade — is added to the members' counts, and marked applied, in one transaction. A worker killed halfway leaves it all pending; a
task run twice finds nothing left the second time.

Full (`scores_recompute`): every member's counts read afresh from the ballots with a few GROUP BY
queries; where they differ from the running tallies the difference is logged as an error and the
recount wins.

Both lock the evaluation row first, so they never interleave for one evaluation, and every write
that records a ballot or review holds a share lock on it, so neither reads a half-recorded one. Afterwards
`scores_changed` is sent (the county layer copies the unit's figures up on it).
"""
from __future__ import annotations

import logging
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F
from django.dispatch import Signal

from pledges.services.steps import LEADER_TIERS
from tenants.organization.models import Member

from . import scoring
from .models import BallotBox, Evaluation, MemberScore, Method, PublicBallot, Review, SelfAssessment

logger = logging.getLogger(__name__)

# Sent inside the transaction that changed an evaluation's scores, with `evaluation` and, when the
# sender holds every member's row (the full recompute), `rows` (as selectors.unit_figures reads them).
scores_changed = Signal()

Counts = dict[int, dict[str, dict[str, int]]]  # member id → method → grade → count

BATCH = 1000


def _add(counts: Counts, member_id, method: str, grade: str, n: int) -> None:
    by_grade = counts.setdefault(int(member_id), {}).setdefault(method, {})
    by_grade[grade] = by_grade.get(grade, 0) + n


def _merged(stored: dict, delta: dict) -> dict:
    merged = {m: dict(g) for m, g in stored.items()}
    for method, by_grade in delta.items():
        target = merged.setdefault(method, {})
        for grade, n in by_grade.items():
            target[grade] = target.get(grade, 0) + n
            if not target[grade]:
                del target[grade]
        if not target:
            del merged[method]
    return merged


def _score(row: MemberScore, evaluation: Evaluation, schemes: dict) -> None:
    row.score, row.grade = scoring.shown_of_counts(row.tallies, schemes[row.is_leader], is_leader=row.is_leader)


def _schemes(evaluation: Evaluation) -> dict[bool, scoring.Scheme]:
    return {False: evaluation.member_scheme(), True: evaluation.leader_scheme()}


def _score_rows(evaluation: Evaluation, member_ids) -> dict[int, MemberScore]:
    """The members' score rows, locked in id order (two appliers never deadlock), made where missing."""
    member_ids = sorted(set(member_ids))
    have = set(MemberScore.objects.filter(evaluation=evaluation, member_id__in=member_ids).values_list("member_id", flat=True))
    missing = [pk for pk in member_ids if pk not in have]
    if missing:
        MemberScore.objects.bulk_create([
            MemberScore(evaluation=evaluation, member_id=pk, branch_id=branch_id, is_leader=tier in LEADER_TIERS)
            for pk, branch_id, tier in Member.objects.filter(pk__in=missing).values_list("pk", "branch_id", "tier")
        ], ignore_conflicts=True)
    rows = {row.member_id: row for row in
            MemberScore.objects.select_for_update().filter(evaluation=evaluation, member_id__in=member_ids).order_by("member_id")}
    # Where the member is now (a transfer, a new tier): whose branch sees them, which scheme scores them.
    for pk, branch_id, tier in Member.objects.filter(pk__in=rows).values_list("pk", "branch_id", "tier"):
        rows[pk].branch_id, rows[pk].is_leader = branch_id, tier in LEADER_TIERS
    return rows


class Pending:
    """What the running tallies do not hold yet, as a change of counts, and the rows it came from."""

    def __init__(self, evaluation: Evaluation, limit: int | None = BATCH):
        def first(queryset):
            return list(queryset[:limit] if limit else queryset)

        self.delta: Counts = {}
        self.public = first(PublicBallot.objects.filter(evaluation=evaluation, applied=False).values_list("id", "grades"))
        for _id, grades in self.public:
            for member_id, grade in grades.items():
                _add(self.delta, member_id, Method.PUBLIC, grade, 1)
        self.box = first(BallotBox.objects.filter(evaluation=evaluation).exclude(applied_count=F("count"))
                         .values_list("id", "subject_id", "method", "grade", "count", "applied_count"))
        for _id, subject_id, method, grade, count, before in self.box:
            _add(self.delta, subject_id, method, grade, count - before)
        self.reviews = first(Review.objects.filter(evaluation=evaluation, stage=Review.Stage.YEAR_END).exclude(applied_grade=F("grade"))
                             .values_list("id", "subject_id", "method", "grade", "applied_grade"))
        for _id, subject_id, method, grade, before in self.reviews:
            if before:
                _add(self.delta, subject_id, method, before, -1)
            _add(self.delta, subject_id, method, grade, 1)
        self.selves = first(SelfAssessment.objects.filter(evaluation=evaluation).exclude(applied_grade=F("grade"))
                            .values_list("id", "member_id", "grade", "applied_grade"))
        for _id, member_id, grade, before in self.selves:
            if before:
                _add(self.delta, member_id, Method.SELF, before, -1)
            _add(self.delta, member_id, Method.SELF, grade, 1)

    def __len__(self) -> int:
        return len(self.public) + len(self.box) + len(self.reviews) + len(self.selves)

    def mark_applied(self) -> None:
        if self.public:
            PublicBallot.objects.filter(id__in=[pk for pk, _g in self.public]).update(applied=True)
        if self.box:  # the count read above: a ballot counted since is still pending
            BallotBox.objects.bulk_update([BallotBox(pk=pk, applied_count=count) for pk, _s, _m, _g, count, _b in self.box],
                                          ["applied_count"], batch_size=1000)
        # The grade read above, not the row's current one: a revision since is still pending.
        if self.reviews:
            Review.objects.bulk_update([Review(pk=pk, applied_grade=grade) for pk, _s, _m, grade, _b in self.reviews], ["applied_grade"], batch_size=1000)
        if self.selves:
            SelfAssessment.objects.bulk_update([SelfAssessment(pk=pk, applied_grade=grade) for pk, _m, grade, _b in self.selves],
                                               ["applied_grade"], batch_size=1000)


def scores_apply_pending(*, evaluation_id: int) -> int:
    """Add everything pending to the running tallies; returns how many records it added."""
    applied = 0
    while True:
        with transaction.atomic():
            evaluation = Evaluation.objects.select_for_update(of=("self",)).select_related("round").filter(pk=evaluation_id).first()
            if evaluation is None:
                return applied
            pending = Pending(evaluation)
            if not pending:
                return applied
            schemes = _schemes(evaluation)
            rows = _score_rows(evaluation, pending.delta)
            for member_id, by_method in pending.delta.items():
                row = rows.get(member_id)
                if row is None:  # a member since deleted: nothing to score
                    continue
                row.tallies = _merged(row.tallies, by_method)
                _score(row, evaluation, schemes)
            MemberScore.objects.bulk_update(rows.values(), ["tallies", "score", "grade", "branch", "is_leader"])
            pending.mark_applied()
            scores_changed.send(sender=Evaluation, evaluation=evaluation, rows=None)
            applied += len(pending)
        if len(pending) < BATCH:
            return applied


def counts_from_ballots(evaluation: Evaluation) -> Counts:
    """Every member's counts read afresh from the ballots and reviews (year-end ones only), in
    one query: the full recompute runs it for every unit of a county."""
    counts: Counts = {}
    public, box = PublicBallot._meta.db_table, BallotBox._meta.db_table
    reviews, selves = Review._meta.db_table, SelfAssessment._meta.db_table
    sql = (
        f"SELECT g.key::bigint, %s, g.value, count(*) FROM {public} b CROSS JOIN LATERAL jsonb_each_text(b.grades) g "
        f"WHERE b.evaluation_id = %s GROUP BY 1, 3 "
        f"UNION ALL SELECT subject_id, method, grade, count FROM {box} WHERE evaluation_id = %s AND count > 0 "
        f"UNION ALL SELECT subject_id, method, grade, count(*) FROM {reviews} WHERE evaluation_id = %s AND stage = %s GROUP BY 1, 2, 3 "
        f"UNION ALL SELECT member_id, %s, grade, count(*) FROM {selves} WHERE evaluation_id = %s GROUP BY 1, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Method.PUBLIC, evaluation.pk, evaluation.pk, evaluation.pk, Review.Stage.YEAR_END, Method.SELF, evaluation.pk])
        for member_id, method, grade, n in cursor.fetchall():
            _add(counts, member_id, method, grade, n)
    return counts


def scores_recompute(*, evaluation_id: int) -> list[str]:
    """Rebuild every member's tallies and score from the ballots; returns (and logs as an
    error) each difference from the running tallies, which the recount then replaces."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update(of=("self",)).select_related("round").get(pk=evaluation_id)
        counts = counts_from_ballots(evaluation)
        where = {pk: (branch_id, tier in LEADER_TIERS) for pk, branch_id, tier in Member.objects.values_list("pk", "branch_id", "tier")}
        rows = {row.member_id: row for row in MemberScore.objects.select_for_update().filter(evaluation=evaluation).order_by("member_id")}
        if set(counts) - set(rows):  # graded members without a row yet (rare: rows are made when it opens)
            known = set(Member.objects.filter(pk__in=set(counts) - set(rows)).values_list("pk", flat=True))
            rows.update(_score_rows(evaluation, known))
        schemes = _schemes(evaluation)
        pending = Pending(evaluation, limit=None)  # not in the running tallies yet, and not a difference
        differences, changed = [], []
        for member_id, row in rows.items():
            fresh = counts.get(member_id, {})
            before = (row.tallies, row.score, row.grade, row.is_leader, row.branch_id)
            if _merged(row.tallies, pending.delta.get(member_id, {})) != fresh:
                differences.append(str(member_id))
            row.tallies = fresh
            row.branch_id, row.is_leader = where.get(member_id, (row.branch_id, row.is_leader))
            _score(row, evaluation, schemes)
            if (row.tallies, row.score, row.grade, row.is_leader, row.branch_id) != before:
                changed.append(row)
        MemberScore.objects.bulk_update(changed, ["tallies", "score", "grade", "is_leader", "branch"], batch_size=2000)
        pending.mark_applied()  # what was pending is in the recount now
        scores_changed.send(sender=Evaluation, evaluation=evaluation, rows=[
            {"member_id": r.member_id, "branch_id": r.branch_id, "score": r.score, "grade": r.grade, "tallies": r.tallies} for r in rows.values()])
    if differences:  # member ids only: the counts could hold one or two anonymous grades
        logger.error("Evaluation %s in %s: the running tallies differed from the recount for %d members: %s",
                     evaluation_id, connection.schema_name, len(differences), ", ".join(differences[:50]))
    return differences
