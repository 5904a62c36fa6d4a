"""The public board (公示栏): anyone, without logging in, reads a unit's published pledges
and how far each item has come (DOMAIN.md "The cycle" step 4, "Who uses it": the public).

Only `selectors.board_pledges` feeds it, which never returns drafts or pledges under review;
the template shows names, items, states and close-out dates — never phone numbers,
review comments, progress records or close-out evidence. The routing middleware has
already switched to the unit's schema, so everything read here is this unit's.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from itertools import groupby

import segno
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import get_language
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from tenants.api.filters import parse_id
from tenants.markers import unit_public
from tenants.organization.models import Member, Organization

from .models import Pledge, PledgeItem, Round
from .selectors import board_pledges, round_asked

@dataclass
class BoardGroup:
    """One organisation's part of the board, with its tallies."""

    organization: Organization
    pledges: list[Pledge] = field(default_factory=list)
    items: int = 0
    closed: int = 0
    overdue: int = 0


# A QR code scanned by a whole village must not rebuild the page each time: the rendered page is
# kept per unit, round, organisation and language until something on it changes (every pledge
# step and overdue detection call `board_changed`), and at most this long for what no step
# records (a renamed organisation).
BOARD_CACHE_SECONDS = 60


def _store():
    return caches["security"]  # plain keys: the unit's schema is named in each key explicitly


def board_changed() -> None:
    """Whatever the board shows may have changed in this unit: pages built before are not used
    once the change is committed."""
    schema = connection.schema_name
    transaction.on_commit(lambda: _store().set(f"pledge-board-version:{schema}", time.time_ns(), timeout=None))


def _cache_key(request: HttpRequest) -> str | None:
    params = {name: request.GET.get(name, "") for name in ("round", "organization")}
    if set(request.GET) - set(params) or any(v and not (v.isdigit() and len(v) < 12) for v in params.values()):
        return None  # anything unusual is answered (or refused) without the cache
    schema = connection.schema_name
    version = _store().get(f"pledge-board-version:{schema}") or 0
    return f"pledge-board:{schema}:{version}:{get_language()}:{params['round']}:{params['organization']}"


BOARD_LANGUAGE = "zh-hans"

# Up to this many published pledges the board is one page; above it (a unit of thousands of
# members) it shows one organisation at a time, with an index of all of them.
BOARD_PAGE_PLEDGES = 200


def _tallies(round: Round) -> dict[int, dict[str, int]]:
    """Per organisation: published pledges and their items, closed out, overdue (one query)."""
    rows = (
        PledgeItem.objects.filter(pledge__in=board_pledges(round=round).values("pk"))
        .values("pledge__organization_id")
        .annotate(
            pledges=Count("pledge_id", distinct=True), items=Count("id"),
            closed=Count("id", filter=Q(state=PledgeItem.State.CLOSED)), overdue=Count("id", filter=Q(state=PledgeItem.State.OVERDUE)),
        )
    )
    return {row.pop("pledge__organization_id"): row for row in rows}


def _groups(pledges: list[Pledge], tallies: dict[int, dict[str, int]]) -> list[BoardGroup]:
    groups = []
    for _, of_organization in groupby(pledges, key=lambda p: p.organization_id):
        of_organization = list(of_organization)
        organization = of_organization[0].organization
        tally = tallies.get(organization.pk, {})
        groups.append(BoardGroup(organization=organization, pledges=of_organization, items=tally.get("items", 0),
                                 closed=tally.get("closed", 0), overdue=tally.get("overdue", 0)))
    return groups


@unit_public
@require_safe
@cache_control(public=True, max_age=60)
def board_page(request: HttpRequest) -> HttpResponse:
    # The board reads in one language, the language of its content (names, pledges): the same
    # page on the village wall, on a phone set to English and in a browser abroad.
    with translation.override(BOARD_LANGUAGE):
        key = _cache_key(request)
        page = _store().get(key) if key else None
        if page is not None:
            response = HttpResponse(page)
        else:
            response = _board_render(request)
            if key and response.status_code == 200:
                _store().set(key, response.content, BOARD_CACHE_SECONDS)
    response["Content-Language"] = BOARD_LANGUAGE
    return response


def _board_render(request: HttpRequest) -> HttpResponse:
    round = round_asked(raw=request.GET.get("round"))
    context: dict = {"unit": request.unit, "round": round, "qr_url": reverse("pledge-board-qr")}
    if round is not None:
        tallies = _tallies(round)
        pledges = board_pledges(round=round)
        index = []
        if sum(t["pledges"] for t in tallies.values()) > BOARD_PAGE_PLEDGES:
            organizations = Organization.objects.filter(pk__in=tallies).order_by("sort_order", "id").only("id", "name")
            index = [BoardGroup(organization=o, items=tallies[o.pk]["items"], closed=tallies[o.pk]["closed"],
                                overdue=tallies[o.pk]["overdue"]) for o in organizations]
            chosen = _organization_asked(request, default=index[0].organization.pk, allowed=set(tallies))
            pledges = pledges.filter(organization_id=chosen)
            context["chosen"] = chosen
        # Partners' names for collective and joint pledges: names only, whatever else a member row holds.
        pledges = list(pledges.prefetch_related(
            Prefetch("co_members", queryset=Member.objects.only("id", "name")),
            Prefetch("co_organizations", queryset=Organization.objects.only("id", "name")),
        ))
        context.update(
            groups=_groups(pledges, tallies),
            index=index,
            total_items=sum(t["items"] for t in tallies.values()),
            total_closed=sum(t["closed"] for t in tallies.values()),
            total_overdue=sum(t["overdue"] for t in tallies.values()),
            rounds=list(Round.objects.only("id", "year", "theme")),
        )
    return render(request, "pledges/board.html", context)


def _organization_asked(request: HttpRequest, *, default: int, allowed: set[int]) -> int:
    if "organization" not in request.GET:
        return default
    pk = parse_id(request.GET["organization"])
    if pk is None or pk not in allowed:
        raise Http404
    return pk


@unit_public
@require_safe
@cache_control(public=True, max_age=3600)
def board_qr(request: HttpRequest) -> HttpResponse:
    """A QR code to print on the paper board, leading to this page."""
    buffer = io.BytesIO()
    segno.make(request.build_absolute_uri(reverse("pledge-board")), error="m").save(buffer, kind="svg", scale=4)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
