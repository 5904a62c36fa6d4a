"""Ledgers (台账): one per member and one per branch — each item with its measures,
deadline, progress records and close-out — as data for the app and as Excel."""
from __future__ import annotations

import io
from collections import defaultdict
from typing import Iterable

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from tenants.excel import table_write

from .models import Area, ItemKind, PledgeItem, ProgressRecord

# (column, header, least width in characters); headers are translated when the workbook is written.
ITEM_COLUMNS = [
    ("subject", gettext_noop("Subject"), 12), ("organization", gettext_noop("Organisation"), 16),
    ("content", gettext_noop("Content"), 40), ("area", gettext_noop("Area"), 8), ("kind", gettext_noop("Kind"), 10),
    ("measures", gettext_noop("Measures"), 36), ("deadline", gettext_noop("Deadline"), 12),
    ("expected_effect", gettext_noop("Expected effect"), 28), ("state", gettext_noop("State"), 10),
    ("record_count", gettext_noop("Number of records"), 10), ("last_record_on", gettext_noop("Last record"), 12),
    ("closed_at", gettext_noop("Closed out on"), 12), ("closed_by", gettext_noop("Verified by"), 10),
    ("close_evidence", gettext_noop("Close-out evidence"), 30),
]
RECORD_COLUMNS = [
    (gettext_noop("Subject"), 12), (gettext_noop("Item"), 40), (gettext_noop("Date"), 12),
    (gettext_noop("What was done"), 50), (gettext_noop("Recorded by"), 10),
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
    """Two sheets: the items, and every progress record under its item. Headers and values
    (states, areas, kinds) in `language`: Chinese unless the caller asked for English."""
    with translation.override(language):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Ledger"))
        subjects: dict[int, tuple[str, str]] = {}
        rows = []
        for item in items:
            subjects[item.pk] = (_subject(item), item.content)
            rows.append(_item_row(item))
        table_write(sheet, [_(label) for _name, label, _width in ITEM_COLUMNS], rows, widths=[w for _n, _l, w in ITEM_COLUMNS], title=title)
        log = workbook.create_sheet(_("Progress records"))
        table_write(log, [_(label) for label, _width in RECORD_COLUMNS], (
            [*subjects.get(record.item_id, ("", "")), record.recorded_on, record.text, record.author.name if record.author_id else ""]
            for record in records
        ), widths=[w for _l, w in RECORD_COLUMNS])
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()

