"""The ledger as Excel (台账): Chinese headers and values by default, English for a caller who
asks for it; columns wide enough to read, the header row frozen; dates as dates."""
from __future__ import annotations

import io
from datetime import date

from django.utils import translation
from openpyxl import load_workbook

from pledges.ledger import ITEM_COLUMNS
from pledges.models import PledgeItem
from tests.conftest import api_client_for, unit_url


def _workbook(world, **headers):
    A = world["A"]
    answer = api_client_for(A.secretary).get(unit_url(A, f"ledger/branches/{A.branch_id}/export/"), **headers)
    assert answer.status_code == 200
    return load_workbook(io.BytesIO(answer.content))


def _labels(language: str) -> list[str]:
    with translation.override(language):
        return [str(translation.gettext(label)) for _name, label, _width in ITEM_COLUMNS]


def test_the_ledger_speaks_chinese_headers_and_values(world, db):
    book = _workbook(world)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[1])
    assert header == _labels("zh-hans")
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in header), header  # not one English header
    item = next(r for r in rows[2:] if r[2] == "A pledge item 1")
    with translation.override("zh-hans"):
        in_progress = str(PledgeItem.State.IN_PROGRESS.label)
    assert item[8] == in_progress  # the state as a word, in Chinese
    assert isinstance(item[6], (date,)) or hasattr(item[6], "year")  # the deadline is a date cell, not text
    assert book.sheetnames == ["台账", "践诺记实"]


def test_an_english_caller_gets_english_headers(world, db):
    sheet = _workbook(world, HTTP_ACCEPT_LANGUAGE="en").worksheets[0]
    header = list(list(sheet.iter_rows(values_only=True))[1])
    assert header == _labels("en") and header[0] == "Subject"


def test_the_header_row_stays_in_view_and_columns_fit_their_text(world, db):
    book = _workbook(world)
    ledger, records = book.worksheets
    assert ledger.freeze_panes == "A3"  # the title, then the header
    assert records.freeze_panes == "A2"
    widths = {letter: dimension.width for letter, dimension in ledger.column_dimensions.items()}
    assert widths["C"] >= 30  # the pledge's content
    for index, label in enumerate(_labels("zh-hans")):
        letter = chr(ord("A") + index)
        assert widths[letter] >= 2 * len(label), (label, widths[letter])  # a Chinese character is two columns wide
    assert ledger["A2"].font.b


def test_the_member_roll_export_freezes_its_header_too(world, db):
    A = world["A"]
    answer = api_client_for(A.admin).get(unit_url(A, "members/export/"))
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet["A1"].value == "姓名"
    assert sheet.column_dimensions["E"].width >= 13  # an 11-digit mobile number fits
