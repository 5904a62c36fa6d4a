"""The county console (web pages, Chinese first, read-only): a county's units side by side, a
unit's branches, a branch's members, a member's pledge — drill-down in three clicks.

The county pages (/county/…) are served in the public schema and read only the roll-up tables
the units' figures task keeps (oversight.services.unit_round_figures_refresh): never a unit's
schema, so a page costs the same few queries for 3 units or 300. A branch's members are shown
by a request routed into that unit (/u/<unit>/dashboard/…), which the routing middleware admits
for the unit's admins and, read-only, for the admins of a jurisdiction above it.

Every table on a page is also its Excel download (?export=<table>), and every chart is drawn
from a table shown beside it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from openpyxl import Workbook

from accounts.access import UnitAccess
from tenants.excel import table_write
from tenants.api.filters import parse_id

from . import selectors
from .models import FiguresSlot

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    """A table as the page shows it and as its Excel file holds it; `links` (one per row, or
    empty) make a column's text a link for drilling down."""

    key: str
    title: str
    headers: list[str]
    rows: list[list]
    links: list[str | None] = field(default_factory=list)
    chart: dict | None = None  # what the page's script draws from this table (ECharts)

    def rows_with_links(self):
        links = self.links or [None] * len(self.rows)
        return list(zip(self.rows, links))


def _pct(value) -> str:
    return "" if value is None else f"{value}%"


def _grades_text(grades: dict, labels: dict) -> str:
    codes = list(labels) + [c for c in grades if c not in labels]
    return "；".join(f"{labels.get(code, code)} {grades[code]}" for code in codes if grades.get(code))


def _export(table: Table, filename: str) -> HttpResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31])
    rows = [[cell.replace("%", "") if isinstance(cell, str) and cell.endswith("%") else cell for cell in row] for row in table.rows]
    table_write(sheet, table.headers, rows, widths=[8] * len(table.headers), title=table.title)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}-{table.key}-{timezone.localdate().isoformat()}.xlsx"'
    return response


def _answer(request, template: str, context: dict, tables: list[Table], filename: str):
    wanted = request.GET.get("export")
    if wanted:
        for table in tables:
            if table.key == wanted:
                return _export(table, filename)
        raise Http404
    context["tables"] = {table.key: table for table in tables}
    context["charts"] = [{"id": t.key, **t.chart} for t in tables if t.chart]
    return render(request, template, context)


def _figure_columns() -> list[str]:
    return [_("Pledge rate (this round)"), _("Pledge rate (previous round)"), _("Members who pledged / required"),
            _("Pending review"), _("Approved"), _("Published"),
            _("Close-out rate (this round)"), _("Close-out rate (previous round)"), _("Items overdue"),
            _("Progress records, last 30 days"), _("Public satisfaction (this round)"), _("Public satisfaction (previous round)"),
            _("Grades (this round)")]


def _figure_cells(current, previous, labels: dict) -> list:
    return [_pct(current.pledge_rate), _pct(previous.pledge_rate), f"{current.pledged} / {current.members_required}",
            current.pending_review, current.approved, current.published,
            _pct(current.close_out_rate), _pct(previous.close_out_rate), current.overdue,
            current.records_30d, _pct(current.satisfaction_rate), _pct(previous.satisfaction_rate),
            _grades_text(current.grades, labels)]


def _rates_chart(table_rows: list[list], names: list[str]) -> dict:
    return {"kind": "bar", "categories": names, "series": [
        {"name": _("Pledge rate (this round)"), "data": [row[1] for row in table_rows]},
        {"name": _("Close-out rate (this round)"), "data": [row[2] for row in table_rows]},
        {"name": _("Close-out rate (previous round)"), "data": [row[3] for row in table_rows]},
    ]}


def _rates_table(key: str, title: str, lines, name_of, name_header: str) -> Table:
    rows = [[name_of(line), _number(line.current.pledge_rate), _number(line.current.close_out_rate), _number(line.previous.close_out_rate)]
            for line in lines]
    table = Table(key, title, [name_header, _("Pledge rate (this round)") + " %", _("Close-out rate (this round)") + " %",
                               _("Close-out rate (previous round)") + " %"], rows)
    table.chart = _rates_chart(rows, [row[0] for row in rows])
    return table


def _number(value):
    return None if value is None else float(value)


def _trend_table(trend: list[dict]) -> Table:
    rows = [[point["day"], _number(point["pledge_rate"]), _number(point["close_out_rate"]), point["records_30d"], point["overdue"]]
            for point in trend]
    table = Table("trend", _("The round over time"), [_("Date"), _("Pledge rate") + " %", _("Close-out rate") + " %",
                                                      _("Progress records, last 30 days"), _("Items overdue")], rows)
    table.chart = {"kind": "line", "categories": [row[0].isoformat() for row in rows], "series": [
        {"name": _("Pledge rate") + " %", "data": [row[1] for row in rows]},
        {"name": _("Close-out rate") + " %", "data": [row[2] for row in rows]},
    ]}
    return table


def _grades_table(grades: dict, labels: dict) -> Table:
    codes = list(labels) + [c for c in grades if c not in labels]
    rows = [[labels.get(code, code), grades.get(code, 0)] for code in codes]
    table = Table("grades", _("Evaluation grades (this round)"), [_("Grade"), _("Members")], rows)
    table.chart = {"kind": "bar", "categories": [row[0] for row in rows], "series": [{"name": _("Members"), "data": [row[1] for row in rows]}]}
    return table


def _county_or_404(request):
    if not selectors.console_allowed(request.user):
        raise Http404
    return request.user


@require_safe
@login_required
def county_console(request):
    """The county's units, current and previous round side by side, ranked."""
    figures = selectors.console_county(user=_county_or_404(request))
    units = figures["units"]
    labels = figures["grade_labels"]
    ranking = Table("units", _("Units, ranked"), [_("Rank"), _("Unit"), _("County"), *_figure_columns()],
                    [[line.rank, line.unit.name, line.unit.county.name, *_figure_cells(line.current, line.previous, labels)] for line in units],
                    links=[f"/county/units/{line.unit.slug}/" for line in units])
    tables = [
        ranking,
        _rates_table("rates", _("Pledge and close-out rates by unit"), units, lambda line: line.unit.name, _("Unit")),
        _trend_table(figures["trend"]),
        _grades_table(figures["current"].grades, labels),
    ]
    context = {**figures, "heading": _("County console"), "level": "county"}
    return _answer(request, "oversight/console.html", context, tables, "county")


@require_safe
@login_required
def county_unit(request, slug: str):
    """One unit of the county: its branches side by side (from the roll-ups, not its schema)."""
    unit = selectors.console_unit_for(user=_county_or_404(request), slug=slug)
    if unit is None:
        raise Http404
    return _unit_page(request, unit, county_link=True)


def _unit_page(request, unit, *, county_link: bool):
    figures = selectors.console_unit(unit=unit)
    labels = figures["grade_labels"]
    branches = figures["branches"]
    table = Table("branches", _("Branches"), [_("Branch"), *_figure_columns()],
                  [[line.name, *_figure_cells(line.current, line.previous, labels)] for line in branches],
                  links=[f"/u/{unit.slug}/dashboard/branch/{line.organization_id}/" for line in branches])
    tables = [
        table,
        _rates_table("rates", _("Pledge and close-out rates by branch"), branches, lambda line: line.name, _("Branch")),
        _trend_table(figures["trend"]),
        _grades_table(figures["current"].grades, labels),
    ]
    context = {**figures, "heading": unit.name, "level": "unit", "county_link": county_link}
    return _answer(request, "oversight/console.html", context, tables, unit.slug)


# --- In a unit's schema (routed by the middleware) ---

def _viewer_or_404(request) -> bool:
    """The unit's admins, and (read-only) the admins of a jurisdiction above it; anyone else in
    the unit is answered as if the page did not exist. True: the caller came from the county."""
    access = request.unit_access
    if access is None or not (access.is_unit_admin or UnitAccess.VIEWER in access.roles):
        raise Http404
    return UnitAccess.VIEWER in access.roles or UnitAccess.OPERATOR in access.roles


def _slot(request) -> str:
    return FiguresSlot.PREVIOUS if request.GET.get("round") == FiguresSlot.PREVIOUS else FiguresSlot.CURRENT


@require_safe
def unit_dashboard(request):
    """The unit's own view of its figures (the same page its county sees)."""
    return _unit_page(request, request.unit, county_link=_viewer_or_404(request))


@require_safe
def unit_dashboard_branch(request, branch_id: str):
    """A branch's members and how far each has come in the round (read from the unit's schema)."""
    county_link = _viewer_or_404(request)
    branch = selectors.console_branch(branch_id=parse_id(branch_id) or 0)
    if branch is None:
        raise Http404
    slot = _slot(request)
    round = selectors.console_round(slot=slot)
    lines = selectors.console_branch_members(branch_id=branch.pk, round=round, today=timezone.localdate())
    table = Table("members", _("Members"), [_("Name"), _("Status"), _("Pledge"), _("Items"), _("Closed out"), _("Close-out rate"),
                                           _("Items overdue"), _("Progress records, last 30 days")],
                  [[line["member"].name, line["member"].get_status_display() + (_(" (exempt)") if line["member"].is_exempt else ""),
                    line["state"] or _("Not pledged"), line["items"], line["closed"], _pct(line["close_out_rate"]), line["overdue"],
                    line["records_30d"]] for line in lines],
                  links=[f"/u/{request.unit.slug}/dashboard/member/{line['member'].pk}/?round={slot}" for line in lines])
    context = {"heading": f"{request.unit.name} · {branch.name}", "level": "branch", "unit": request.unit, "branch": branch,
               "round": round, "slot": slot, "county_link": county_link}
    return _answer(request, "oversight/console_members.html", context, [table], f"{request.unit.slug}-branch-{branch.pk}")


@require_safe
def unit_dashboard_member(request, member_id: str):
    """A member's pledge in the round, item by item."""
    county_link = _viewer_or_404(request)
    slot = _slot(request)
    round = selectors.console_round(slot=slot)
    found = selectors.console_member(member_id=parse_id(member_id) or 0, round=round)
    if found is None:
        raise Http404
    member = found["member"]
    table = Table("items", _("Pledge items"), [_("No."), _("Content"), _("Deadline"), _("State"), _("Progress records"), _("Last progress record")],
                  [[item.position, item.content, item.deadline, item.get_state_display(), item.record_count, item.last_record_on]
                   for item in found["items"]])
    context = {"heading": f"{request.unit.name} · {member.branch.name} · {member.name}", "level": "member", "unit": request.unit,
               "branch": member.branch, "member": member, "pledge": found["pledge"], "round": round, "slot": slot, "county_link": county_link}
    return _answer(request, "oversight/console_members.html", context, [table], f"{request.unit.slug}-member-{member.pk}")
