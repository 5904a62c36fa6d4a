"""Evaluation writes: a round's evaluation is prepared by the unit admins, and its scheme may
change until the evaluate phase begins (then everyone is scored by the scheme they were shown)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notify
from pledges.models import PledgeItem, Round
from pledges.services.steps import LEADER_TIERS, conflict
from tenants.organization.caller import Caller
from tenants.organization.models import Member, Organization

from . import scoring
from .selectors import ballot_subjects, gradeable
from .models import (
    BallotBox, BallotRight, BallotToken, BranchReport, Evaluation, MemberScore, Method, PanelMember, Publication, PublicBallot, Review,
    RightsIssued, SelfAssessment,
)

SCHEME_FIELDS = ("member_weights", "leader_weights", "scale", "missing", "public_quorum_percent")


def check_scheme(*, evaluation: Evaluation) -> None:
    """Each scheme can score: known methods, non-negative whole weights not all zero, a scale from
    best to worst whose thresholds fall to 0, distinct grade codes."""
    errors: dict[str, str] = {}
    for name, allowed in (("member_weights", set(scoring.MEMBER_SCHEME.weights)), ("leader_weights", set(scoring.LEADER_SCHEME.weights))):
        weights = getattr(evaluation, name)
        if not isinstance(weights, dict) or set(weights) - allowed or not all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 100 for w in weights.values()) \
                or not any(weights.values()):
            errors[name] = _("Give each method (%(methods)s) a whole weight from 0 to 100, not all 0.") % {"methods": ", ".join(sorted(allowed))}
    try:
        grades = evaluation.grades()
        codes = [g.code for g in grades]
        if len(set(codes)) != len(codes) or not 2 <= len(grades) <= 6 or not all(isinstance(g.label, str) and g.label.strip() for g in grades) \
                or not all(isinstance(g.points, int) and isinstance(g.threshold, int) and 0 <= g.points <= 100 and 0 <= g.threshold <= 100 for g in grades):
            raise ValueError
        scoring.Scheme(weights={scoring.PEER: 1}, scale=grades, missing=evaluation.missing)
    except (TypeError, KeyError, ValueError):
        errors["scale"] = _("Give 2 to 6 grades from the best down, each with a code, a label, points (0–100) and the score it needs; the last needs 0.")
    if evaluation.missing not in Evaluation.Missing.values:
        errors["missing"] = _("Choose how a missing component counts.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def evaluation_prepare(*, round: Round, who: Caller, today: date | None = None) -> Evaluation:
    """The round's evaluation with the default scheme (004), to adjust before it opens."""
    today = today or timezone.localdate()
    if not who.is_unit_admin:
        raise PermissionDenied(_("Only unit admins prepare an evaluation."))
    if today >= round.ends_on:
        raise conflict(_("Round %(round)s has ended.") % {"round": round})
    evaluation, _created = Evaluation.objects.get_or_create(round=round)
    return evaluation


def _anything_recorded(evaluation: Evaluation) -> bool:
    """Ballots or reviews exist (the round's dates moved back after it opened): the scheme stays."""
    return (RightsIssued.objects.filter(evaluation=evaluation).exists() or PublicBallot.objects.filter(evaluation=evaluation).exists()
            or Review.objects.filter(evaluation=evaluation).exists())


def scheme_check(scheme: dict) -> dict:
    """A scheme given from above (a county's campaign), checked as a unit's would be; returns it
    with only the scheme's fields."""
    unknown = set(scheme) - set(SCHEME_FIELDS)
    if unknown:
        raise ValidationError({"evaluation_scheme": _("Unknown parts of a scheme: %(names)s.") % {"names": ", ".join(sorted(unknown))}})
    quorum = scheme.get("public_quorum_percent", 80)
    if not isinstance(quorum, int) or isinstance(quorum, bool) or not 1 <= quorum <= 100:
        raise ValidationError({"public_quorum_percent": _("Give the quorum as a whole percentage from 1 to 100.")})
    check_scheme(evaluation=Evaluation(**scheme))
    return {name: scheme[name] for name in SCHEME_FIELDS if name in scheme}


@transaction.atomic
def evaluation_adopt(*, round: Round, scheme: dict) -> Evaluation:
    """The round's evaluation prepared with a scheme pushed from above (a county's campaign), which
    the unit's admins may adjust until it opens. An evaluation already prepared is left as it is."""
    evaluation, created = Evaluation.objects.get_or_create(round=round, defaults=scheme_check(scheme))
    return evaluation


@transaction.atomic
def evaluation_update(*, evaluation: Evaluation, who: Caller, changes: dict, today: date | None = None) -> Evaluation:
    today = today or timezone.localdate()
    if not who.is_unit_admin:
        raise PermissionDenied(_("Only unit admins change an evaluation's scheme."))
    evaluation = Evaluation.objects.select_for_update().select_related("round").get(pk=evaluation.pk)
    if today >= evaluation.round.evaluate_on or _anything_recorded(evaluation):
        raise conflict(_("The scheme is fixed once the evaluation opens (%(day)s): everyone is scored by the scheme they were shown.") % {
            "day": evaluation.round.evaluate_on.isoformat()})
    for name in SCHEME_FIELDS:
        if name in changes:
            setattr(evaluation, name, changes[name])
    check_scheme(evaluation=evaluation)
    evaluation.full_clean()
    evaluation.save()
    return evaluation


# ------------------------------------------------------------------ public evaluation (群众评议)

def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _may_run_branch(who: Caller, branch_id: int) -> bool:
    return who.is_unit_admin or branch_id in who.oversees_ids


@transaction.atomic
def panel_register(*, evaluation: Evaluation, branch: Organization, who: Caller, people: list[tuple[str, str]]) -> list[tuple[PanelMember, str]]:
    """Register evaluators on a branch's panel, each with the secret of their one-time link
    (returned here once, for the printed sheet of QR codes; only its hash is kept)."""
    if branch.kind != Organization.Kind.BRANCH:
        raise ValidationError({"branch": _("Public evaluation is run per branch.")})
    if not _may_run_branch(who, branch.pk):
        raise PermissionDenied(_("Only the branch's secretary, the secretaries above it and unit admins register its panel."))
    if not people:
        raise ValidationError({"people": _("Register at least one evaluator.")})
    if timezone.localdate() > evaluation.round.ends_on:
        raise conflict(_("Round %(round)s has ended.") % {"round": evaluation.round})
    issued = []
    for name, category in people:
        member = PanelMember(evaluation=evaluation, branch=branch, name=(name or "").strip(), category=category)
        member.full_clean()
        member.save()
        secret = secrets.token_urlsafe(24)
        BallotToken.objects.create(evaluation=evaluation, branch=branch, panel_member=member, digest=token_digest(secret),
                                   expires_on=evaluation.round.ends_on)
        issued.append((member, secret))
    return issued


@transaction.atomic
def ballot_cast(*, secret: str, grades: dict[int, str], comments: dict[int, str] | None = None, today: date | None = None) -> PublicBallot:
    """Spend the token and record the ballot in one transaction. The token row is locked and
    deleted: the same link submitted many times at once records exactly one ballot (the others
    find no token once the first commits)."""
    today = today or timezone.localdate()
    token = (BallotToken.objects.select_for_update(of=("self",)).select_related("evaluation__round")
             .filter(digest=token_digest(secret or "")).first())
    if token is None:
        raise ValidationError(_("This evaluation link has been used already or does not exist."), code="token_used")
    if today > token.expires_on:
        raise ValidationError(_("This evaluation link has expired."), code="token_expired")
    evaluation = token.evaluation
    if evaluation.round.phase_on(today) != "evaluate":
        raise conflict(_("Public evaluation is open from %(day)s, during the round's evaluation.") % {"day": evaluation.round.evaluate_on.isoformat()})
    _hold(evaluation)
    graded = branch_members_to_grade(branch_id=token.branch_id)
    scale = {g["code"] for g in evaluation.scale}
    if not grades or set(grades) - graded:
        raise ValidationError({"grades": _("Grade the members of this branch (and only them).")})
    if any(grade not in scale for grade in grades.values()):
        raise ValidationError({"grades": _("Choose each grade from the scale: %(grades)s.") % {"grades": "、".join(g["label"] for g in evaluation.scale)}})
    comments = {int(k): str(v).strip()[:500] for k, v in (comments or {}).items() if str(v).strip()}
    if set(comments) - set(grades):
        raise ValidationError({"comments": _("Comment only on members you grade.")})
    token.delete()
    ballot = PublicBallot.objects.create(
        evaluation=evaluation, branch_id=token.branch_id, cast_on=today,
        grades={str(k): v for k, v in grades.items()}, comments={str(k): v for k, v in comments.items()},
    )
    scores_apply_soon(evaluation_id=evaluation.pk)
    return ballot


def branch_members_to_grade(*, branch_id: int) -> set[int]:
    """Who the public grades in a branch: its enrolled members (active or mobile)."""
    return set(Member.objects.filter(branch_id=branch_id, status__in=(Member.Status.ACTIVE, Member.Status.MOBILE)).values_list("pk", flat=True))


def scores_apply_soon(*, evaluation_id: int) -> None:
    """After commit, have a worker add what this transaction recorded to the running tallies.
    The pending rows themselves are the durable record (the periodic sweep applies whatever a
    lost nudge leaves), so the message carries no ballot id and no time."""
    from .tasks import apply_scores

    transaction.on_commit(lambda: apply_scores.delay(evaluation_id), robust=True)


# ------------------------------------------------------------------ members' ballots and reviews

def _hold(evaluation: Evaluation) -> None:
    """While a ballot or review is being recorded: a share lock on the evaluation (the aggregation
    and the full recompute take it exclusively, so neither reads a half-recorded one), and no more
    once the results are published (they are final then, and show per member)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Evaluation._meta.db_table} WHERE id = %s FOR SHARE", [evaluation.pk])
    if Publication.objects.filter(evaluation_id=evaluation.pk).exists():
        raise conflict(_("The results have been published: the evaluation is closed."))


def _check_open(evaluation: Evaluation, today: date, step: str) -> None:
    if evaluation.round.phase_on(today) != "evaluate":
        raise conflict(_("%(step)s is open from %(day)s to %(end)s, during the round's evaluation.") % {
            "step": step, "day": evaluation.round.evaluate_on.isoformat(), "end": evaluation.round.ends_on.isoformat()})


def _check_grade(evaluation: Evaluation, grade: str, field: str = "grade") -> None:
    if grade not in {g["code"] for g in evaluation.scale}:
        raise ValidationError({field: _("Choose each grade from the scale: %(grades)s.") % {"grades": "、".join(g["label"] for g in evaluation.scale)}})


def rights_issue(*, evaluation: Evaluation, today: date | None = None) -> bool:
    """Once the evaluation has opened, give every member eligible a right to one peer ballot in
    their branch (when it has someone else to grade) and every leader one team ballot, and
    start everyone's score row. Done once; True when this call did it."""
    today = today or timezone.localdate()
    if today < evaluation.round.evaluate_on or RightsIssued.objects.filter(evaluation=evaluation).exists():
        return False
    with transaction.atomic():
        Evaluation.objects.select_for_update().get(pk=evaluation.pk)  # one issuer at a time
        if RightsIssued.objects.filter(evaluation=evaluation).exists():
            return False
        members = list(gradeable(Member.objects.all()).values_list("pk", "branch_id", "tier"))
        per_branch: dict[int, int] = {}
        for _pk, branch_id, _tier in members:
            per_branch[branch_id] = per_branch.get(branch_id, 0) + 1
        team = [pk for pk, _b, tier in members if tier in LEADER_TIERS]
        rights = [BallotRight(evaluation=evaluation, method=Method.PEER, voter_id=pk, branch_id=branch_id)
                  for pk, branch_id, _tier in members if per_branch[branch_id] > 1]
        if len(team) > 1:
            rights += [BallotRight(evaluation=evaluation, method=Method.TEAM, voter_id=pk) for pk in team]
        BallotRight.objects.bulk_create(rights, batch_size=2000)
        MemberScore.objects.bulk_create(
            [MemberScore(evaluation=evaluation, member_id=pk, branch_id=branch_id, is_leader=tier in LEADER_TIERS)
             for pk, branch_id, tier in members], batch_size=2000, ignore_conflicts=True)
        RightsIssued.objects.create(evaluation=evaluation, issued_on=today)
        # Everyone with a login hears that the evaluation is open (once: the key is the evaluation's).
        users = Member.objects.filter(pk__in=[pk for pk, _b, _t in members], user_id__isnull=False).values_list("user_id", flat=True)
        notify(recipient_ids=list(users), dedupe_key=f"evaluation-open:{evaluation.pk}",
               title=_("The evaluation of %(round)s is open") % {"round": evaluation.round.title},
               body=_("Until %(day)s: write your self-evaluation and report, and grade your branch's members (anonymously).")
               % {"day": evaluation.round.ends_on.isoformat()})
    return True


@transaction.atomic
def member_ballot_cast(*, evaluation: Evaluation, who: Caller, method: str, grades: dict[int, str], today: date | None = None) -> dict:
    """A member's anonymous peer or team ballot: their right is locked and deleted and the grades
    counted into the ballot box in one transaction, so submitting it many times at once counts it
    once. Nothing of the ballot is kept but the counts."""
    today = today or timezone.localdate()
    if who.member is None:
        raise PermissionDenied(_("Only members cast peer ballots."))
    _check_open(evaluation, today, _("Peer review"))
    rights_issue(evaluation=evaluation, today=today)
    _hold(evaluation)
    if who.member_id in grades:
        raise ValidationError({"grades": _("Nobody grades themselves: leave yourself out.")})
    right = BallotRight.objects.select_for_update().filter(evaluation=evaluation, method=method, voter=who.member).first()
    if right is None:
        raise conflict(_("You have no ballot of this kind to cast: it has been cast already, or you are not on this evaluation's roll."))
    subjects = set(ballot_subjects(evaluation=evaluation, method=method, voter=who.member))
    if not grades or set(grades) - subjects:
        raise ValidationError({"grades": _("Grade the members this ballot lists (and only them).")})
    for grade in grades.values():
        _check_grade(evaluation, grade, "grades")
    right.delete()
    _box_add(evaluation=evaluation, method=method, grades=grades)
    scores_apply_soon(evaluation_id=evaluation.pk)
    return {"method": method, "cast_on": today}


def _box_add(*, evaluation: Evaluation, method: str, grades: dict[int, str]) -> None:
    """Count one ballot's grades into the box, in subject order (two ballots at once lock the
    same rows in the same order, so they never deadlock)."""
    table = BallotBox._meta.db_table
    rows = sorted(grades.items())
    values = ", ".join(["(%s, %s, %s, %s, 1, 0)"] * len(rows))
    params = [p for subject, grade in rows for p in (evaluation.pk, method, subject, grade)]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (evaluation_id, method, subject_id, grade, count, applied_count) VALUES {values} "
                       f"ON CONFLICT (evaluation_id, method, subject_id, grade) DO UPDATE SET count = {table}.count + 1", params)


def _reviews(who: Caller, subject: Member) -> bool:
    """Who gives a member their leader review (002): the secretary of their branch; for a member
    who leads organisations (a branch secretary), the secretary of the organisation above."""
    led = list(Organization.objects.filter(secretary=subject).values_list("parent_id", flat=True))
    if led:
        return any(parent in who.led_ids for parent in led if parent is not None)
    return subject.branch_id in who.led_ids


def _reviewer_name(who: Caller) -> str:
    if who.member is not None:
        return who.member.name
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=who.user_id).first()
    return (user.get_full_name() or user.get_username()) if user else ""


@transaction.atomic
def review_record(*, evaluation: Evaluation, who: Caller, subject: Member, method: str, stage: str, grade: str,
                  comment: str = "", today: date | None = None) -> Review:
    """A leader review (the secretary of the member's branch, or of an organisation above it for a
    branch secretary) or the organisation's assessment (a unit admin). Interim reviews are written
    during the fulfil phase, year-end ones during the evaluation; writing again revises it."""
    today = today or timezone.localdate()
    if method == Method.LEADER:
        if who.member is None or who.member_id == subject.pk or not _reviews(who, subject):
            raise PermissionDenied(_("A member is reviewed by the secretary of their branch; a branch secretary by the secretary above."))
    elif method == Method.ORGANISATION:
        if not who.is_unit_admin:
            raise PermissionDenied(_("The organisation's assessment is recorded by unit admins."))
    else:
        raise ValidationError({"method": _("Choose leader review or organisational assessment.")})
    if who.member_id == subject.pk:
        raise ValidationError({"subject": _("Nobody grades themselves: leave yourself out.")})
    if stage == Review.Stage.INTERIM:
        if evaluation.round.phase_on(today) not in ("fulfil", "evaluate"):
            raise conflict(_("Interim reviews are written while pledges are being fulfilled (from %(day)s).") % {"day": evaluation.round.fulfil_on.isoformat()})
    else:
        _check_open(evaluation, today, _("The year-end review"))
    _check_grade(evaluation, grade)
    _hold(evaluation)
    review = Review.objects.select_for_update().filter(evaluation=evaluation, method=method, stage=stage, subject=subject).first()
    if review is None:
        # An interim review is never scored: it starts as applied.
        review = Review(evaluation=evaluation, method=method, stage=stage, subject=subject,
                        applied_grade=grade if stage == Review.Stage.INTERIM else "")
    review.reviewer = who.member
    review.reviewer_name = _reviewer_name(who)[:50]
    review.grade, review.comment, review.reviewed_on = grade, (comment or "").strip(), today
    if stage == Review.Stage.INTERIM:
        review.applied_grade = grade
    review.full_clean()
    review.save()
    if stage == Review.Stage.YEAR_END:
        scores_apply_soon(evaluation_id=evaluation.pk)
    return review


@transaction.atomic
def self_assess(*, evaluation: Evaluation, who: Caller, grade: str, report: str, item_notes: dict[int, str] | None = None,
                today: date | None = None) -> SelfAssessment:
    """A member's self-evaluation and report, revisable while the evaluation is open."""
    today = today or timezone.localdate()
    if who.member is None:
        raise PermissionDenied(_("Only members write a self-evaluation."))
    _check_open(evaluation, today, _("Self-evaluation"))
    _check_grade(evaluation, grade)
    notes = {int(k): str(v).strip() for k, v in (item_notes or {}).items() if str(v).strip()}
    own = set(PledgeItem.objects.filter(pledge__round=evaluation.round, pledge__member=who.member, pk__in=notes).values_list("pk", flat=True))
    if set(notes) - own:
        raise ValidationError({"item_notes": _("Write notes only on your own pledge items of this round.")})
    if any(len(text) > 1000 for text in notes.values()):
        raise ValidationError({"item_notes": _("Keep each note to 1000 characters.")})
    _hold(evaluation)
    assessment = SelfAssessment.objects.select_for_update().filter(evaluation=evaluation, member=who.member).first() \
        or SelfAssessment(evaluation=evaluation, member=who.member)
    assessment.grade, assessment.report = grade, (report or "").strip()
    assessment.item_notes = {str(k): v for k, v in notes.items()}
    assessment.full_clean()
    assessment.save()
    scores_apply_soon(evaluation_id=evaluation.pk)
    return assessment


@transaction.atomic
def branch_report_write(*, evaluation: Evaluation, who: Caller, branch: Organization, text: str, today: date | None = None) -> BranchReport:
    today = today or timezone.localdate()
    if not (who.is_unit_admin or branch.pk in who.led_ids):
        raise PermissionDenied(_("A branch's report is written by its secretary."))
    if branch.kind != Organization.Kind.BRANCH:
        raise ValidationError({"branch": _("Reports are written per branch.")})
    _check_open(evaluation, today, _("The branch report"))
    report = BranchReport.objects.select_for_update().filter(evaluation=evaluation, branch=branch).first() \
        or BranchReport(evaluation=evaluation, branch=branch)
    report.text, report.written_by = (text or "").strip(), _reviewer_name(who)[:50]
    report.full_clean()
    report.save()
    return report
