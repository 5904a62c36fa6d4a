"""Ledgers (台账): one per member and one per branch — each item with its measures,
deadline, progress records and close-out — as data for the app and as Excel."""
from __future__ import annotations

import io
from collections import defaultdict
from typing import Iterable

from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_noop as N_
from openpyxl import Workbook

from tenants.excel import safe_row

from .models import Area, ItemKind, PledgeItem, ProgressRecord

ITEM_COLUMNS = [
    ("subject", N_("Subject")), ("organization", N_("Organisation")), ("content", N_("Content")), ("area", N_("Area")), ("kind", N_("Kind")),
    ("measures", N_("Measures")), ("deadline", N_("Deadline")), ("expected_effect", N_("Expected effect")), ("state", N_("State")),
    ("record_count", N_("Progress records")), ("last_record_on", N_("Last record")), ("closed_at", N_("Closed out on")),
    ("closed_by", N_("Verified by")), ("close_evidence", N_("Close-out evidence")),
]


def records_by_item(records: Iterable[ProgressRecord]) -> dict[int, list[ProgressRecord]]:
    grouped: dict[int, list[ProgressRecord]] = defaultdict(list)
    for record in records:
        grouped[record.item_id].append(record)
    return grouped


def _subject(item: PledgeItem) -> str:
    pledge = item.pledge
    return pledge.member.name if pledge.member_id else pledge.organization.name


def _item_row(item: PledgeItem) -> list:
    return [
        _subject(item), item.pledge.organization.name, item.content, str(Area(item.area).label), str(ItemKind(item.kind).label),
        item.measures, item.deadline, item.expected_effect, str(PledgeItem.State(item.state).label), item.record_count,
        item.last_record_on, timezone.localtime(item.closed_at).date() if item.closed_at else None,
        item.closed_by.name if item.closed_by_id else "", item.close_evidence,
    ]


def ledger_workbook(*, title: str, items: Iterable[PledgeItem], records: Iterable[ProgressRecord], language: str = "zh-hans") -> bytes:
    """Two sheets: the items, and every progress record under its item."""
    with translation.override(language):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Ledger"))
        sheet.append(safe_row(sheet, [title]))
        header = [_(label) for _name, label in ITEM_COLUMNS]
        sheet.append(header)
        subjects: dict[int, tuple[str, str]] = {}
        for item in items:
            subjects[item.pk] = (_subject(item), item.content)
            sheet.append(safe_row(sheet, _item_row(item)))
        log = workbook.create_sheet(_("Progress records"))
        log.append([_("Subject"), _("Item"), _("Date"), _("What was done"), _("Recorded by")])
        for record in records:
            subject, content = subjects.get(record.item_id, ("", ""))
            log.append(safe_row(log, [subject, content, record.recorded_on, record.text, record.author.name if record.author_id else ""]))
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()

