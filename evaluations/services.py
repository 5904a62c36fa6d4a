"""Evaluation writes: a round's evaluation is prepared by the unit admins, and its scheme may
change until the evaluate phase begins (then everyone is scored by the scheme they were shown)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledges.models import Round
from pledges.services.steps import conflict
from tenants.organization.caller import Caller
from tenants.organization.models import Member, Organization

from . import scoring
from .models import BallotToken, Evaluation, PanelMember, PublicBallot

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


@transaction.atomic
def evaluation_update(*, evaluation: Evaluation, who: Caller, changes: dict, today: date | None = None) -> Evaluation:
    today = today or timezone.localdate()
    if not who.is_unit_admin:
        raise PermissionDenied(_("Only unit admins change an evaluation's scheme."))
    evaluation = Evaluation.objects.select_for_update().select_related("round").get(pk=evaluation.pk)
    if today >= evaluation.round.evaluate_on:
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
    return PublicBallot.objects.create(
        evaluation=evaluation, branch_id=token.branch_id, cast_on=today,
        grades={str(k): v for k, v in grades.items()}, comments={str(k): v for k, v in comments.items()},
    )


def branch_members_to_grade(*, branch_id: int) -> set[int]:
    """Who the public grades in a branch: its enrolled members (active or mobile)."""
    return set(Member.objects.filter(branch_id=branch_id, status__in=(Member.Status.ACTIVE, Member.Status.MOBILE)).values_list("pk", flat=True))
