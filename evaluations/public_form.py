"""The public evaluation form (群众评议): opened from a one-time link or QR code on a phone,
without an account. It shows the branch's members with their published pledges and how each
item stands, and takes one satisfaction grade (and an optional comment) per member. A used,
unknown or expired link gets a page that says so; nothing here records who opened it."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from pledges.models import Pledge, PledgeItem
from tenants.markers import unit_public
from tenants.organization.models import Member

from . import services
from .models import BallotToken, SelfAssessment

FORM_LANGUAGE = "zh-hans"  # the evaluators are local people; the pledges are Chinese


@unit_public
@never_cache
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, secret: str) -> HttpResponse:
    with translation.override(FORM_LANGUAGE):
        response = _public_form(request, secret)
    response["Content-Language"] = FORM_LANGUAGE
    # The link is the credential: never pass it to another site (same-origin still lets the
    # browser send its Origin with the form, which the CSRF check reads).
    response["Referrer-Policy"] = "same-origin"
    return response


def _public_form(request: HttpRequest, secret: str) -> HttpResponse:
    today = timezone.localdate()
    token = BallotToken.objects.select_related("evaluation__round", "branch").filter(digest=services.token_digest(secret)).first()
    if token is None:
        return render(request, "evaluations/public_form_closed.html", {"reason": "used", "unit": request.unit}, status=410)
    if today > token.expires_on:
        return render(request, "evaluations/public_form_closed.html", {"reason": "expired", "unit": request.unit}, status=410)
    evaluation = token.evaluation
    if evaluation.round.phase_on(today) != "evaluate":
        return render(request, "evaluations/public_form_closed.html",
                      {"reason": "not_open", "unit": request.unit, "opens_on": evaluation.round.evaluate_on}, status=409)
    members = _members_with_pledges(token.branch_id, evaluation.round_id, evaluation.pk)
    errors: list[str] = []
    chosen: dict[int, str] = {}
    if request.method == "POST":
        chosen = {m.pk: request.POST.get(f"grade-{m.pk}", "") for m in members}
        comments = {m.pk: request.POST.get(f"comment-{m.pk}", "") for m in members}
        if any(not grade for grade in chosen.values()):
            errors.append(translation.gettext("Give every member a grade."))
        else:
            try:
                services.ballot_cast(secret=secret, grades=chosen, comments=comments, today=today)
            except ValidationError as exc:
                errors += exc.messages
            else:
                return render(request, "evaluations/public_form_done.html", {"unit": request.unit, "branch": token.branch})
    return render(request, "evaluations/public_form.html", {
        "unit": request.unit, "branch": token.branch, "round": evaluation.round, "members": members,
        "scale": evaluation.scale, "chosen": chosen, "errors": errors,
    }, status=400 if errors else 200)


def _members_with_pledges(branch_id: int, round_id: int, evaluation_id: int) -> list[Member]:
    """The branch's members, each with their published pledges (items with how they stand and
    how they were closed out) and their self-evaluation and report (自评、述职), as the evaluators
    hear them at the meeting."""
    graded = services.branch_members_to_grade(branch_id=branch_id)
    published = Pledge.objects.filter(round_id=round_id, state__in=(Pledge.State.PUBLISHED, Pledge.State.COMPLETED)).prefetch_related(
        Prefetch("items", queryset=PledgeItem.objects.order_by("position", "id")))
    members = list(Member.objects.filter(pk__in=graded).order_by("name", "id").prefetch_related(
        Prefetch("pledges", queryset=published, to_attr="published_pledges")).only("id", "name", "post"))
    reports = {a.member_id: a for a in SelfAssessment.objects.filter(evaluation_id=evaluation_id, member_id__in=graded)}
    for member in members:
        member.self_assessment = reports.get(member.pk)
        notes = member.self_assessment.item_notes if member.self_assessment else {}
        for pledge in member.published_pledges:
            for item in pledge.items.all():
                item.self_note = notes.get(str(item.pk), "")
    return members
