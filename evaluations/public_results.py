"""The results on the public board (公示栏) when the unit publishes them there (scope `board`):
each branch's members with their score and grade as they may be shown, the commendation list
and the formula. Always in Chinese, like the board; nothing of rectifications or reviews."""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from tenants.markers import unit_public

from . import selectors
from .models import Commendation, Evaluation, Publication

PAGE_LANGUAGE = "zh-hans"


@unit_public
@require_GET
def public_results(request: HttpRequest, round_id: int) -> HttpResponse:
    evaluation = Evaluation.objects.select_related("round").filter(round_id=round_id).first()
    publication = Publication.objects.filter(evaluation=evaluation, scope=Publication.Scope.BOARD).first() if evaluation else None
    if publication is None:
        raise Http404
    branches: dict[int, dict] = {}
    for row in selectors.result_rows(evaluation=evaluation):
        branches.setdefault(row["branch"]["id"], {"name": row["branch"]["name"], "rows": []})["rows"].append(row)
    commended = list(Commendation.objects.filter(evaluation=evaluation).order_by("member__name").values_list("member__name", flat=True))
    with translation.override(PAGE_LANGUAGE):
        response = render(request, "evaluations/public_results.html", {
            "unit": request.unit, "round": evaluation.round, "publication": publication, "branches": list(branches.values()),
            "commended": commended, "member_formula": "党员：" + evaluation.member_scheme().describe(),
            "leader_formula": "领导干部：" + evaluation.leader_scheme().describe(),
        })
    response["Content-Language"] = PAGE_LANGUAGE
    return response
