"""Evaluation writes: a round's evaluation is prepared by the unit admins, and its scheme may
change until the evaluate phase begins (then everyone is scored by the scheme they were shown)."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledges.models import Round
from pledges.services.steps import conflict
from tenants.organization.caller import Caller

from . import scoring
from .models import Evaluation

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
