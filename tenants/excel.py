"""Tables in Excel that read well and safely: columns sized for their text (a Chinese character
is two columns wide), a bold frozen header row; control characters that openpyxl refuses are
dropped, and text starting with "=" stays text — a spreadsheet must not run what a member typed."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
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


# No column grows wider than this (in characters): longer text wraps within its cell.
WIDEST = 50


def _shown(value) -> str:
    """A value as a spreadsheet shows it (dates in the ISO format the sheets use)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_write(sheet, headers: list[str], rows: Iterable[list], *, widths: list[int], title: str | None = None) -> None:
    """The whole table: each column as wide as its longest value (a Chinese character counts two),
    at least `widths` and the header, at most WIDEST; text longer than its column wraps. The rows
    are read once before writing, because a write-only sheet takes its layout first."""
    rows = [list(row) for row in rows]
    fitted = []
    for index, (header, least) in enumerate(zip(headers, widths)):
        longest = max((display_width(line) for row in rows for line in _shown(row[index]).splitlines()), default=0)
        fitted.append(max(least, min(longest + 2, WIDEST)))
    table_start(sheet, headers, widths=fitted, title=title)
    wrap, top = Alignment(vertical="top", wrap_text=True), Alignment(vertical="top")
    for row in rows:
        values = safe_row(sheet, row)
        texts = [value.value if isinstance(value, Cell) else value for value in values]  # a cell already: text kept as text
        wrapped = [isinstance(text, str) and ("\n" in text or display_width(text) > width) for text, width in zip(texts, fitted)]
        if any(wrapped):  # a taller row: its other cells at the top too, beside the start of the text
            values = [value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value) for value in values]
            for cell, wraps in zip(values, wrapped):
                cell.alignment = wrap if wraps else top
        sheet.append(values)
