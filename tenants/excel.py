"""Writing user text into Excel safely: control characters that openpyxl refuses are dropped,
and text starting with "=" stays text — a spreadsheet must not run what a member typed."""
from __future__ import annotations

import unicodedata
from typing import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter


def safe_row(sheet, values: Iterable) -> list:
    row = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
        row.append(value)
    return row


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a Chinese character is about two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_start(sheet, headers: list[str], *, widths: list[int], title: str | None = None) -> None:
    """A sheet that reads as a table: column widths (at least each header's), the header row in
    bold and frozen so it stays in view, and above it the title when there is one. Call before
    the first row (a write-only sheet takes its layout first)."""
    for index, (header, width) in enumerate(zip(headers, widths), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(width, display_width(header) + 2)
    sheet.freeze_panes = "A3" if title is not None else "A2"  # before any row: written with the first one
    if title is not None:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", title))
        cell.font = Font(bold=True, size=13)
        sheet.append([cell])
    row = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        row.append(cell)
    sheet.append(row)
