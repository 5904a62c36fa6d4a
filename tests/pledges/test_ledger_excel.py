"""The ledger as Excel (台账): Chinese headers and values by default, English for a caller who
asks for it; columns wide enough to read, the header row frozen; dates as dates."""
from __future__ import annotations

import io
from datetime import date

from django.utils import translation
from openpyxl import load_workbook

from pledges.ledger import ITEM_COLUMNS
from pledges.models import PledgeItem
from tenants.excel import WIDEST, display_width
from tenants.organization.models import Member, Organization
from tenants.services import unit_run
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
    assert header[9] == "记实次数" and not set(header) & set(book.sheetnames)  # the count of records, not the sheet of them


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


def test_columns_grow_to_fit_their_longest_value_and_long_text_wraps(world, db):
    """A village branch's name or a member's full name (买买提·艾力) is read whole; a long pledge
    wraps inside its cell instead of running off the page."""
    A = world["A"]
    long_branch, long_content = "某某镇某某村第一网格党支部委员会", "每月走访联系户并记录群众诉求，" * 12
    with unit_run(A.unit):
        Organization.objects.filter(pk=A.branch_id).update(name=long_branch)
        Member.objects.filter(user=A.member).update(name="买买提·艾力江")
        PledgeItem.objects.filter(pledge__member__user=A.member, content="A pledge item 1").update(content=long_content)
    sheet = _workbook(world).worksheets[0]
    widths = {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()}
    assert widths["B"] >= display_width(long_branch) + 1  # the organisation, whole
    assert widths["A"] >= display_width("买买提·艾力江") + 1
    assert widths["C"] == WIDEST  # the content column stops growing …
    row = next(row for row in sheet.iter_rows(min_row=3) if row[2].value == long_content)
    assert row[2].alignment.wrap_text  # … and the text wraps within it,
    assert row[0].alignment.vertical == "top" and row[0].value == "买买提·艾力江"  # the row's other cells beside its start
    assert hasattr(row[6].value, "year") and row[6].number_format == "yyyy-mm-dd"  # the deadline still a date
    short = next(row[5] for row in sheet.iter_rows(min_row=3) if row[5].value)
    assert not short.alignment.wrap_text  # short text stays on one line


def test_a_members_own_ledger_is_titled_in_chinese_with_the_round_named_once(world, db):
    A = world["A"]
    with unit_run(A.unit):
        member = Member.objects.get(user=A.member)
        round = PledgeItem.objects.filter(pledge__member=member).select_related("pledge__round").first().pledge.round
    answer = api_client_for(A.member).get(unit_url(A, f"ledger/members/{member.pk}/export/"))
    assert answer.status_code == 200
    rows = list(load_workbook(io.BytesIO(answer.content)).worksheets[0].iter_rows(values_only=True))
    with translation.override("zh-hans"):
        title = round.title
    assert rows[0][0] == f"{member.name}践诺台账 — {title}" and rows[0][0].count(str(round.year)) == 1
    assert list(rows[1]) == _labels("zh-hans")
    assert {row[0] for row in rows[2:]} == {member.name}
