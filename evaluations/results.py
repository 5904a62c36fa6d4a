"""Results and consequences (DOMAIN.md "Evaluation" → Consequences; 001, 002, 004): the unit
publishes its results within a scope, draws up a commendation list, and follows each poor result
through a rectification and 004's accountability ladder to its end — rectified, or refused, which
marks the member unqualified (不合格) for the annual democratic appraisal."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pledges.services.steps import conflict
from tenants.organization.caller import Caller
from tenants.organization.models import Member

from .models import LADDER, AccountabilityStep, Commendation, Evaluation, Publication, Rectification
from .services import _reviewer_name


def _check_results_open(evaluation: Evaluation, today: date) -> None:
    if today < evaluation.round.evaluate_on:
        raise conflict(_("Results are dealt with from %(day)s, once the evaluation has opened.") % {"day": evaluation.round.evaluate_on.isoformat()})


def _unit_admin(who: Caller, message: str) -> None:
    if not who.is_unit_admin:
        raise PermissionDenied(message)


@transaction.atomic
def results_publish(*, evaluation: Evaluation, who: Caller, scope: str, today: date | None = None) -> Publication:
    """Publish the results to each branch, the whole unit or the public board; publishing again
    changes the scope."""
    today = today or timezone.localdate()
    _unit_admin(who, _("Only unit admins publish results."))
    _check_results_open(evaluation, today)
    if scope not in Publication.Scope.values:
        raise ValidationError({"scope": _("Choose where to publish: branch, unit or board.")})
    Evaluation.objects.select_for_update(of=("self",)).filter(pk=evaluation.pk).first()  # after any ballot being recorded
    publication = Publication.objects.select_for_update().filter(evaluation=evaluation).first() or Publication(evaluation=evaluation)
    publication.scope, publication.published_on, publication.published_by = scope, today, _reviewer_name(who)[:50]
    publication.save()
    return publication


@transaction.atomic
def commendation_add(*, evaluation: Evaluation, who: Caller, member: Member, reason: str, today: date | None = None) -> Commendation:
    today = today or timezone.localdate()
    _unit_admin(who, _("Only unit admins draw up the commendation list."))
    _check_results_open(evaluation, today)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the member is commended.")})
    if Rectification.objects.filter(evaluation=evaluation, member=member).exclude(state=Rectification.State.RECTIFIED).exists():
        raise conflict(_("%(name)s is under rectification or refused it, and cannot be commended.") % {"name": member.name})
    commendation = Commendation.objects.filter(evaluation=evaluation, member=member).first() or Commendation(evaluation=evaluation, member=member)
    commendation.reason, commendation.listed_by, commendation.listed_on = reason[:200], _reviewer_name(who)[:50], today
    commendation.save()
    return commendation


@transaction.atomic
def commendation_remove(*, commendation: Commendation, who: Caller) -> None:
    _unit_admin(who, _("Only unit admins draw up the commendation list."))
    commendation.delete()


def _may_act_on(who: Caller, member: Member) -> bool:
    return who.is_unit_admin or (who.member is not None and member.pk != who.member_id and member.branch_id in who.oversees_ids)


@transaction.atomic
def rectification_open(*, evaluation: Evaluation, who: Caller, member: Member, reason: str, deadline: date,
                       today: date | None = None) -> Rectification:
    """A rectification with a deadline, opened by a unit admin or the member's secretary (one
    open at a time per member)."""
    today = today or timezone.localdate()
    if not _may_act_on(who, member):
        raise PermissionDenied(_("A rectification is opened by the member's secretary or a unit admin."))
    _check_results_open(evaluation, today)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is to be rectified.")})
    if deadline <= today:
        raise ValidationError({"deadline": _("Give a deadline after today.")})
    if Rectification.objects.select_for_update().filter(evaluation=evaluation, member=member, state=Rectification.State.OPEN).exists():
        raise conflict(_("%(name)s already has a rectification under way.") % {"name": member.name})
    Commendation.objects.filter(evaluation=evaluation, member=member).delete()  # off the list while it lasts
    return Rectification.objects.create(evaluation=evaluation, member=member, reason=reason[:500], deadline=deadline,
                                        opened_by=_reviewer_name(who)[:50], opened_on=today)


@transaction.atomic
def accountability_step_take(*, rectification: Rectification, who: Caller, step: str, note: str = "",
                             today: date | None = None) -> AccountabilityStep:
    """The next step of the ladder (口头提醒 → 批评教育 → 限期整改 → 诫勉谈话 → 通报批评 → 引咎辞职):
    the level reached may repeat or rise, never fall."""
    today = today or timezone.localdate()
    rectification = Rectification.objects.select_for_update().select_related("member").get(pk=rectification.pk)
    if not _may_act_on(who, rectification.member):
        raise PermissionDenied(_("The ladder's steps are recorded by the member's secretary or a unit admin."))
    if rectification.state != Rectification.State.OPEN:
        raise conflict(_("This rectification has ended."))
    if step not in LADDER:
        raise ValidationError({"step": _("Choose a step of the accountability ladder.")})
    last = rectification.steps.order_by("-taken_on", "-id").values_list("step", flat=True).first()
    if last is not None and LADDER.index(step) < LADDER.index(last):
        raise conflict(_("The ladder goes up, not down: the last step was %(step)s.") % {"step": AccountabilityStep.Step(last).label})
    return AccountabilityStep.objects.create(rectification=rectification, step=step, note=(note or "").strip()[:500], taken_on=today,
                                             taken_by=_reviewer_name(who)[:50])


@transaction.atomic
def rectification_close(*, rectification: Rectification, who: Caller, outcome: str, note: str = "", today: date | None = None) -> Rectification:
    """The end: rectified, or refused — the member is then unqualified (不合格) in the annual
    democratic appraisal."""
    today = today or timezone.localdate()
    rectification = Rectification.objects.select_for_update().select_related("member").get(pk=rectification.pk)
    if not _may_act_on(who, rectification.member):
        raise PermissionDenied(_("A rectification is closed by the member's secretary or a unit admin."))
    if rectification.state != Rectification.State.OPEN:
        raise conflict(_("This rectification has ended."))
    if outcome not in (Rectification.State.RECTIFIED, Rectification.State.REFUSED):
        raise ValidationError({"outcome": _("Close it as rectified or refused.")})
    rectification.state, rectification.closed_on, rectification.outcome = outcome, today, (note or "").strip()[:500]
    rectification.save()
    return rectification
