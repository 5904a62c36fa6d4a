"""Writing user text into Excel safely: control characters that openpyxl refuses are dropped,
and text starting with "=" stays text — a spreadsheet must not run what a member typed."""
from __future__ import annotations

from typing import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell


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
