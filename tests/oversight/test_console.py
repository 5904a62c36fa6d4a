"""The county console: roll-ups written by the units' figures task (the debounced one after a
change and the scheduled full one agree, and agree with the unit's own progress figures), the
pages read them in a fixed number of queries however many units there are, every table is an
Excel file, and each caller sees only what they oversee."""
from __future__ import annotations

import io
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from oversight.models import BranchFigures, FiguresSlot, UnitFiguresDay, UnitRoundFigures
from oversight.selectors import console_county, console_unit, units_overseen_by
from oversight.services import unit_figures_refresh
from oversight.tasks import refresh_unit_figures
from pledges.models import ProgressRecord
from pledges.selectors import round_current, round_progress
from tenants.models import Unit
from tenants.organization import services as org
from tenants.organization.models import Organization
from tenants.services import unit_run
from tests.conftest import console_client

FIELDS = ("round_id", "organization_id", *BranchFigures.COUNTS, "scored", "grades", "public_grades", "public_top_two")


def _refresh(*keys, world):
    for key in keys:
        with unit_run(world[key].unit):
            unit_figures_refresh()


def _snapshot(unit) -> dict:
    return {
        "units": sorted(UnitRoundFigures.objects.filter(unit=unit).values_list("round_id", "slot", *UnitRoundFigures.COUNTS)),
        "branches": sorted(BranchFigures.objects.filter(unit=unit).values_list(*FIELDS)),
        "days": sorted(UnitFiguresDay.objects.filter(unit=unit).values_list("round_id", "day", *UnitFiguresDay.COUNTS)),
    }


def test_the_refresh_writes_the_units_round_its_branches_and_todays_snapshot(world, db):
    _refresh("A", world=world)
    unit = world["A"].unit
    row = UnitRoundFigures.objects.get(unit=unit, slot=FiguresSlot.CURRENT)
    assert row.round_id == world["A"].round_id and "A Round" in row.round_title
    assert row.members_required == 3 and row.pledged == 1 and row.published == 1 and row.items == 3
    branches = {b.name: b for b in BranchFigures.objects.filter(unit=unit, round_id=row.round_id)}
    assert set(branches) == {"A Branch 1", "A Branch 2"}
    assert (branches["A Branch 1"].members_required, branches["A Branch 1"].pledged) == (2, 1)
    assert (branches["A Branch 2"].members_required, branches["A Branch 2"].pledged) == (1, 0)
    day = UnitFiguresDay.objects.get(unit=unit, round_id=row.round_id)
    assert day.day == timezone.localdate() and day.pledged == 1 and day.items == 3
    assert not UnitRoundFigures.objects.filter(unit=unit).exclude(unit_id=unit.pk).exists()


def test_the_figures_agree_with_the_units_own_progress_figures(world, db):
    """Independently of the roll-up's code: the unit's progress selector (used by its secretaries)."""
    _refresh("A", world=world)
    with unit_run(world["A"].unit):
        progress = {row["branch"]["id"]: row for row in round_progress(round=round_current())}
        records = ProgressRecord.objects.filter(item__pledge__round_id=world["A"].round_id,
                                                recorded_on__gte=timezone.localdate() - timedelta(days=29)).count()
    rows = BranchFigures.objects.filter(unit=world["A"].unit, round_id=world["A"].round_id)
    for row in rows:
        expected = progress[row.organization_id]
        assert row.members_required == expected["members"] - expected["exempt"]
        assert row.published == expected["pledges"].get("published", 0) + expected["pledges"].get("completed", 0)
        assert row.items == sum(expected["items"].values())
        assert row.closed == expected["items"].get("closed", 0) and row.overdue == expected["items"].get("overdue", 0)
    unit_row = UnitRoundFigures.objects.get(unit=world["A"].unit, slot=FiguresSlot.CURRENT)
    assert unit_row.records_30d == records


def test_the_debounced_refresh_after_a_change_and_the_scheduled_full_one_agree(world, db, django_capture_on_commit_callbacks):
    unit = world["B"].unit
    _refresh("B", world=world)
    with unit_run(unit):
        before = UnitRoundFigures.objects.get(unit=unit, slot=FiguresSlot.CURRENT).members_required
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            branch = Organization.objects.get(pk=world["B"].branch2_id)
            org.member_create(unit=unit, name="B Console Newcomer", gender="male", birth_date=date(1990, 1, 1),
                              joined_on=date(2015, 7, 1), phone="", post="Clerk", tier="agency_member", branch=branch)
        assert any(getattr(cb, "__name__", "") == "_figures_refresh_send" for cb in callbacks)  # the change asks for a refresh
        refresh_unit_figures.apply(throw=True)  # what the debounced task does when it runs
    incremental = _snapshot(unit)
    assert UnitRoundFigures.objects.get(unit=unit, slot=FiguresSlot.CURRENT).members_required == before + 1
    # The scheduled full refresh, from nothing: the same rows.
    UnitRoundFigures.objects.filter(unit=unit).delete()
    BranchFigures.objects.filter(unit=unit).delete()
    UnitFiguresDay.objects.filter(unit=unit).delete()
    with unit_run(unit):
        refresh_unit_figures.apply(throw=True)
    assert _snapshot(unit) == incremental


def test_a_previous_round_is_shown_beside_the_current_one(world, db):
    from tests.pledges.support import round_around_today

    unit = world["C"].unit
    with unit_run(unit):
        current = round_current()
        earlier = round_around_today(theme="C Earlier Round", mobilise_on=current.mobilise_on - timedelta(days=400),
                                     propose_on=current.mobilise_on - timedelta(days=390), review_on=current.mobilise_on - timedelta(days=380),
                                     publish_on=current.mobilise_on - timedelta(days=370), fulfil_on=current.mobilise_on - timedelta(days=360),
                                     evaluate_on=current.mobilise_on - timedelta(days=300), ends_on=current.mobilise_on - timedelta(days=290))
        unit_figures_refresh()
    slots = dict(UnitRoundFigures.objects.filter(unit=unit).values_list("slot", "round_id"))
    assert slots == {FiguresSlot.CURRENT: current.pk, FiguresSlot.PREVIOUS: earlier.pk}
    assert not UnitFiguresDay.objects.filter(unit=unit, round_id=earlier.pk).exists()  # ended: no new snapshot
    page = console_unit(unit=unit)
    assert page["current"].present and page["previous"].present and page["previous"].items == 0


def _many_units(world, n: int, start: int = 0) -> list[Unit]:
    """Units with figures but no schema (bulk_create skips provisioning): enough for the page."""
    units = Unit.objects.bulk_create([
        Unit(name=f"Console Filler {i}", slug=f"console-filler-{i}", kind="township", county=world.counties["K1"],
             schema_name=f"u_console_filler_{i}", status=Unit.Status.ACTIVE) for i in range(start, start + n)])
    now, today = timezone.now(), timezone.localdate()
    UnitRoundFigures.objects.bulk_create([
        UnitRoundFigures(unit=u, round_id=1, slot=FiguresSlot.CURRENT, year=2026, round_title="2026", members_required=10 + i,
                         pledged=i % 10, items=20, closed=i % 20, evaluation_id=7, grade_labels={"A": "优秀"}, refreshed_at=now)
        for i, u in enumerate(units)])
    UnitFiguresDay.objects.bulk_create([UnitFiguresDay(unit=u, round_id=1, day=today - timedelta(days=d), members_required=10, pledged=d)
                                        for u in units for d in range(3)])
    return units


def test_the_county_page_costs_the_same_queries_for_few_or_many_units(world, db):
    _refresh("A", "B", world=world)
    _many_units(world, 2)
    browser = console_client(world.county_admin_k1)
    browser.get("/county/")  # the session and the like, once
    with CaptureQueriesContext(connection) as few:
        assert browser.get("/county/").status_code == 200
    _many_units(world, 40, start=2)
    with CaptureQueriesContext(connection) as many:
        page = browser.get("/county/")
    assert page.status_code == 200 and "Console Filler 41" in page.content.decode()
    assert len(many) == len(few), [q["sql"][:120] for q in many]
    with CaptureQueriesContext(connection) as selector:
        figures = console_county(user=world.county_admin_k1)
    assert len(selector) <= 5 and len(figures["units"]) == 44
    assert not any("u_unit_a" in q["sql"] or "u_unit_b" in q["sql"] for q in many)  # no unit's schema is read


def test_units_are_ranked_and_totals_add_up(world, db):
    _refresh("A", "B", world=world)
    _many_units(world, 5)
    figures = console_county(user=world.county_admin_k1)
    ranks = [line.rank for line in figures["units"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    rates = [line.current.close_out_rate or 0 for line in figures["units"] if line.current.present]
    assert rates == sorted(rates, reverse=True)
    rows = UnitRoundFigures.objects.filter(unit__in=units_overseen_by(world.county_admin_k1), slot=FiguresSlot.CURRENT)
    assert figures["current"].pledged == sum(r.pledged for r in rows)
    assert figures["current"].members_required == sum(r.members_required for r in rows)
    assert figures["trend"] and figures["trend"][-1]["day"] == timezone.localdate()
    assert figures["refreshed_oldest"] is not None


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_every_table_is_exported_to_excel(world, db):
    _refresh("A", "B", "C", world=world)
    browser = console_client(world.county_admin_k1)
    units = _sheet(browser.get("/county/?export=units"))
    assert units[1][0] == "名次"  # the title, then the header row, in Chinese
    names = {row[1] for row in units[2:]}
    assert {"Unit A", "Unit B"} <= names and "Unit C" not in names
    for key in ("rates", "trend", "grades"):
        _sheet(browser.get(f"/county/?export={key}"))
    branches = _sheet(browser.get("/county/units/unit-a/?export=branches"))
    assert {row[0] for row in branches[2:]} == {"A Branch 1", "A Branch 2"}
    members = _sheet(browser.get(f"/u/unit-a/dashboard/branch/{world['A'].branch_id}/?export=members"))
    assert {row[0] for row in members[2:]} == {"A Secretary", "A Member"}
    items = _sheet(browser.get(f"/u/unit-a/dashboard/member/{world['A'].member_ids[1]}/?export=items"))
    assert any("A pledge item 1" in str(row[1]) for row in items[2:])
    assert browser.get("/county/?export=nothing").status_code == 404


def test_drill_down_county_unit_branch_member_read_only(world, db):
    _refresh("A", world=world)
    browser = console_client(world.county_admin_k1)
    county = browser.get("/county/").content.decode()
    assert 'href="/county/units/unit-a/"' in county and "县级工作台" in county
    unit = browser.get("/county/units/unit-a/").content.decode()
    branch_link = f'/u/unit-a/dashboard/branch/{world["A"].branch_id}/'
    assert branch_link in unit
    branch = browser.get(branch_link).content.decode()
    assert "A Member" in branch and "B Member" not in branch
    member_link = f'/u/unit-a/dashboard/member/{world["A"].member_ids[1]}/'
    assert member_link in branch
    member = browser.get(member_link)
    assert member.status_code == 200 and "A pledge item 1" in member.content.decode()
    assert browser.post(member_link).status_code == 405  # nothing to edit here


def test_a_unit_admin_sees_only_their_own_unit(world, db):
    _refresh("A", "B", world=world)
    admin = console_client(world["A"].admin)
    own = admin.get("/u/unit-a/dashboard/")
    assert own.status_code == 200
    text = own.content.decode()
    assert "A Branch 1" in text and "B Branch" not in text and "/county/" not in text
    assert admin.get("/u/unit-b/dashboard/").status_code == 404
    assert admin.get("/county/").status_code == 404
    assert admin.get("/county/units/unit-a/").status_code == 404
    member = console_client(world["A"].member)  # a member of the unit: not a console of theirs
    assert member.get("/u/unit-a/dashboard/").status_code == 404


def test_the_unit_branch_page_costs_the_same_queries_for_few_or_many_members(world, db):
    admin = console_client(world["A"].admin)
    path = f"/u/unit-a/dashboard/branch/{world['A'].branch_id}/"
    admin.get(path)
    with CaptureQueriesContext(connection) as few:
        assert admin.get(path).status_code == 200
    with unit_run(world["A"].unit):
        branch = Organization.objects.get(pk=world["A"].branch_id)
        for i in range(6):
            org.member_create(unit=world["A"].unit, name=f"A Extra {i}", gender="male", birth_date=date(1990, 1, 1 + i),
                              joined_on=date(2015, 7, 1), phone="", post="Clerk", tier="agency_member", branch=branch)
    with CaptureQueriesContext(connection) as many:
        page = admin.get(path)
    assert "A Extra 5" in page.content.decode()
    assert len(many) == len(few)
