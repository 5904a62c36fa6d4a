"""The public board (公示栏): anyone, without logging in, reads a unit's published pledges
and how far each item has come (DOMAIN.md "The cycle" step 4, "Who uses it": the public).

Only `selectors.board_pledges` feeds it, which never returns drafts or pledges under review;
the template shows names, items, states and close-out dates — never phone numbers,
review comments, progress records or close-out evidence. The routing middleware has
already switched to the unit's schema, so everything read here is this unit's.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from itertools import groupby

import segno
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from jiannuo.api.filters import parse_id
from jiannuo.markers import unit_public
from tenants.organization.models import Member, Organization

from .models import Pledge, PledgeItem, Round
from .selectors import board_pledges, round_current

@dataclass
class BoardGroup:
    """One organisation's part of the board, with its tallies."""

    organization: Organization
    pledges: list[Pledge] = field(default_factory=list)
    items: int = 0
    closed: int = 0
    overdue: int = 0


def _round_asked(request: HttpRequest) -> Round | None:
    raw = request.GET.get("round")
    if raw is None or raw == "":
        return round_current()
    pk = parse_id(raw)
    if pk is None:
        raise Http404
    round = Round.objects.filter(pk=pk).first()
    if round is None:
        raise Http404
    return round


def _groups(pledges: list[Pledge]) -> list[BoardGroup]:
    groups = []
    for _, of_organization in groupby(pledges, key=lambda p: p.organization_id):
        of_organization = list(of_organization)
        group = BoardGroup(organization=of_organization[0].organization, pledges=of_organization)
        for pledge in of_organization:
            for item in pledge.items.all():
                group.items += 1
                group.closed += item.state == PledgeItem.State.CLOSED
                group.overdue += item.state == PledgeItem.State.OVERDUE
        groups.append(group)
    return groups


@unit_public
@require_safe
def board_page(request: HttpRequest) -> HttpResponse:
    round = _round_asked(request)
    context: dict = {"unit": request.unit, "round": round, "qr_url": reverse("pledge-board-qr")}
    if round is not None:
        # Partners' names for collective and joint pledges: names only, whatever else a member row holds.
        pledges = list(board_pledges(round=round).prefetch_related(
            Prefetch("co_members", queryset=Member.objects.only("id", "name")),
            Prefetch("co_organizations", queryset=Organization.objects.only("id", "name")),
        ))
        groups = _groups(pledges)
        context.update(
            groups=groups,
            total_items=sum(g.items for g in groups),
            total_closed=sum(g.closed for g in groups),
            total_overdue=sum(g.overdue for g in groups),
            rounds=list(Round.objects.only("id", "year", "theme")),
        )
    return render(request, "pledges/board.html", context)


@unit_public
@require_safe
@cache_control(public=True, max_age=3600)
def board_qr(request: HttpRequest) -> HttpResponse:
    """A QR code to print on the paper board, leading to this page."""
    buffer = io.BytesIO()
    segno.make(request.build_absolute_uri(reverse("pledge-board")), error="m").save(buffer, kind="svg", scale=4)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
