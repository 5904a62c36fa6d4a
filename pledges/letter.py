"""The signed pledge letter (承诺书) as a PDF, in triplicate (DOMAIN.md "The cycle" step 4).

Source 004: one copy stays with whoever pledges, one is filed by the branch, one goes on
the public board. Each copy starts on a new page and every page names its copy in the
footer, so a torn-off copy still says which one it is.

The letter is a paper document in Chinese whatever the reader's language: choice labels
are rendered under zh-hans, and the fixed wording of the form is written in Chinese.
What goes on the paper is first assembled as a `Letter` (plain strings), then laid out;
tests read the `Letter`, because text in a CID-font PDF cannot be searched reliably.
"""
from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from pdfminer.cmapdb import CMapDB
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle

from .models import ItemKind, Pledge, PledgeItem

if TYPE_CHECKING:
    from tenants.models import Unit

# One of the standard Adobe CJK fonts every PDF reader has: no font file to ship.
FONT = "STSong-Light"
# How reportlab encodes text in it: a reader looks each UTF-16 code up in this CMap to find a
# glyph of the Adobe-GB1 collection; a code the CMap lacks is drawn as an empty box.
ENCODING = "UniGB-UCS2-H"

TITLE = "承诺书"
COPIES_MEMBER = ("第一联 承诺人留存", "第二联 党支部存档", "第三联 公示栏张贴")
# An organisation's letter is filed by the organisation above, not by a branch.
COPIES_ORGANIZATION = ("第一联 承诺组织留存", "第二联 上级党组织存档", "第三联 公示栏张贴")
ITEM_HEADER = ("序号", "类别 / 领域", "承诺内容", "保障措施", "完成时限", "预期效果")
BLANK_DATE = "年　月　日"  # to be filled in by hand
BLANK = "－"  # full-width: a glyph every GB font has

PAGE_MARGIN = 1.5 * cm
# Widths of ITEM_HEADER's columns; they add up to the frame width of an A4 page.
ITEM_COLUMNS = (1.0 * cm, 2.0 * cm, 4.8 * cm, 4.0 * cm, 2.4 * cm, 3.8 * cm)
SIGNATURE_COLUMNS = (3.8 * cm, 5.6 * cm, 2.4 * cm, 6.2 * cm)


@dataclass(frozen=True)
class LetterItem:
    number: int
    kind: str
    area: str
    content: str
    measures: str
    deadline: str
    expected_effect: str
    shortcoming: str = ""


@dataclass(frozen=True)
class Letter:
    """Every string placed on the letter, in order of appearance."""

    unit: str
    round: str
    title: str
    preamble: str
    subject: list[tuple[str, str]]  # (label, value): who pledges, their branch, post, partners
    items: list[LetterItem]
    signatures: list[list[tuple[str, str]]]  # rows of (label, value): lines to sign, the reviewer, dates
    copies: tuple[str, ...]
    published_on: str = ""

    @property
    def published_line(self) -> str:
        return f"公示日期：{self.published_on}" if self.published_on else ""

    def lines(self) -> list[str]:
        """The letter's text as a flat list (one copy plus the three copy labels)."""
        out = [TITLE, self.unit, self.round, self.title, self.preamble, self.published_line]
        out += [f"{label}：{value}" for label, value in self.subject]
        out += list(ITEM_HEADER)
        for item in self.items:
            out += [str(item.number), item.kind, item.area, item.shortcoming, item.content, item.measures, item.deadline, item.expected_effect]
        out += [f"{label}：{value}" for row in self.signatures for label, value in row]
        out += list(self.copies)
        return [line for line in out if line]


def chinese_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = timezone.localdate(day)
    return f"{day.year}年{day.month}月{day.day}日"


def _is_organizational(pledge: Pledge) -> bool:
    return pledge.subject in (Pledge.Subject.ORGANIZATION, Pledge.Subject.JOINT)


def _subject_lines(pledge: Pledge) -> list[tuple[str, str]]:
    organization = pledge.organization.name
    if pledge.subject == Pledge.Subject.MEMBER and pledge.member is not None:
        member = pledge.member
        return [("承诺人", member.name), ("所在党支部", organization), ("岗位", member.post.strip() or BLANK)]
    if pledge.subject == Pledge.Subject.COLLECTIVE:
        names = "、".join(m.name for m in pledge.co_members.all())
        return [("承诺组织", organization), ("共同承诺党员", names or BLANK)]
    if pledge.subject == Pledge.Subject.JOINT:
        names = "、".join(o.name for o in pledge.co_organizations.all())
        return [("牵头组织", organization), ("联合承诺组织", names or BLANK)]
    return [("承诺组织", organization)]


def _signature_rows(pledge: Pledge, unit: Unit) -> list[list[tuple[str, str]]]:
    if _is_organizational(pledge):
        rows = [[("承诺组织（盖章）", ""), ("日期", BLANK_DATE)], [("党组织书记签字", "")]]
    else:
        rows = [[("承诺人签字", ""), ("日期", BLANK_DATE)]]
    # Reviewed by an organisation's secretary, or by the unit admins when none is named.
    reviewer = pledge.reviewer_organization.name if pledge.reviewer_organization_id else unit.name
    rows.append([("审核单位（盖章）", reviewer), ("审核日期", chinese_date(pledge.approved_at) or BLANK_DATE)])
    return rows


def _letter_item(number: int, item: PledgeItem) -> LetterItem:
    shortcoming = item.shortcoming.strip() if item.kind == ItemKind.CORRECTION else ""
    return LetterItem(
        number=number, kind=str(item.get_kind_display()), area=str(item.get_area_display()),
        content=item.content.strip(), measures=item.measures.strip() or BLANK, deadline=chinese_date(item.deadline) or BLANK,
        expected_effect=item.expected_effect.strip() or BLANK, shortcoming=shortcoming,
    )


def letter_content(*, pledge: Pledge, unit: Unit) -> Letter:
    """What the letter says. Uses `pledge.items.all()` (and co-members / co-organisations),
    so whatever the caller prefetched is reused."""
    with translation.override("zh-hans"):
        items = sorted(pledge.items.all(), key=lambda i: (i.position, i.pk))
        round = pledge.round
        preamble = (
            "本组织郑重作出如下承诺，接受上级党组织和群众监督。" if _is_organizational(pledge)
            else "本人自愿作出如下承诺，亮明身份、立足岗位，接受组织和群众监督。"
        )
        return Letter(
            unit=unit.name,
            round=round.title,
            title=pledge.title.strip(),
            preamble=preamble,
            subject=_subject_lines(pledge),
            items=[_letter_item(n, item) for n, item in enumerate(items, start=1)],
            signatures=_signature_rows(pledge, unit),
            copies=COPIES_ORGANIZATION if _is_organizational(pledge) else COPIES_MEMBER,
            published_on=chinese_date(pledge.published_at),
        )


# ---------------------------------------------------------------- layout

def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    # wordWrap="CJK" lets Chinese text break between any two characters.
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=16, wordWrap="CJK")
    return {
        "body": body,
        "copy": ParagraphStyle("copy", parent=body, fontSize=9, alignment=TA_RIGHT, textColor=colors.HexColor("#b71c1c")),
        "title": ParagraphStyle("title", parent=body, fontSize=22, leading=30, alignment=TA_CENTER, spaceBefore=4, spaceAfter=6),
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=12),
        "head": ParagraphStyle("head", parent=body, fontSize=9, leading=12, alignment=TA_CENTER),
    }


@functools.cache
def _font_codes() -> frozenset[int]:
    """The characters the font draws: every code its CMap maps to a glyph (CID 0 is "none")."""
    codes: set[int] = set()

    def walk(table: dict, prefix: int) -> None:
        for byte, entry in table.items():
            if isinstance(entry, dict):
                walk(entry, prefix * 256 + byte)
            elif entry:
                codes.add(prefix * 256 + byte)

    walk(CMapDB.get_cmap(ENCODING).code2cid, 0)
    return frozenset(codes)


# Characters people type that the font lacks, and the font's own glyph for them. Above all the
# middle dot between the parts of a name (买买提·艾力): GB 2312 has it as 「・」.
LOOKALIKES = {"\u00b7": "\u30fb", "\u2027": "\u30fb", "\u2022": "\u30fb", "\u2219": "\u30fb", "\u22c5": "\u30fb",
              "\u2e31": "\u30fb", "\uff65": "\u30fb"}
# What Chinese typesetting prints for a character the font does not have (an emoji, a rare ideograph).
NO_GLYPH = "\u3013"  # 〓


@functools.lru_cache(maxsize=4096)
def _drawable_character(ch: str) -> str:
    has = _font_codes()
    if ord(ch) in has or ch == "\n":
        return ch
    if ch in LOOKALIKES:
        return LOOKALIKES[ch]
    if ch.isspace():
        return " "
    compatible = unicodedata.normalize("NFKC", ch)  # a ligature, a superscript, a circled number beyond ⑳
    if all(ord(c) in has for c in compatible):
        return compatible
    if unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc", "Sk"):  # joiners, variation selectors, skin tones
        return ""
    return NO_GLYPH


def drawable(value: str) -> str:
    """The text with only characters the font draws: each other one becomes the font's
    look-alike, its compatibility form, nothing when it is invisible (an emoji's joiners and
    variation selectors), or 〓 — never an empty box."""
    return "".join(map(_drawable_character, unicodedata.normalize("NFC", value)))


def _text(value: str) -> str:
    """Text as paragraph markup: in the font's characters, escaped (a "<" is text, not a tag),
    line breaks kept. Every paragraph of the letter goes through here."""
    value = drawable(value.replace("\r\n", "\n").replace("\r", "\n"))
    return escape(value).replace("\n", "<br/>")


class _CopyMark(Flowable):
    """Invisible marker: from here on, pages belong to this copy (read by the footer)."""

    def __init__(self, label: str):
        super().__init__()
        self.copy_label = label
        self.width = self.height = 0

    def draw(self) -> None:
        pass


class _LetterDocument(BaseDocTemplate):
    copy_label = ""

    def afterFlowable(self, flowable) -> None:
        label = getattr(flowable, "copy_label", None)
        if label:
            self.copy_label = label


def _footer(canvas: Canvas, doc: _LetterDocument) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.setFillColor(colors.grey)
    canvas.drawString(PAGE_MARGIN, PAGE_MARGIN / 2, drawable(doc.copy_label))
    # An ideographic space, not "·": the standard CJK font (STSong-Light) has no middle dot.
    canvas.drawRightString(A4[0] - PAGE_MARGIN, PAGE_MARGIN / 2, drawable(f"{doc.title}\u3000第{canvas.getPageNumber()}页"))
    canvas.restoreState()


def _items_table(letter: Letter, styles: dict[str, ParagraphStyle]) -> Table:
    cell = styles["cell"]
    rows: list[list] = [[Paragraph(_text(h), styles["head"]) for h in ITEM_HEADER]]
    for item in letter.items:
        content = _text(item.content)
        if item.shortcoming:
            content = f"存在不足：{_text(item.shortcoming)}<br/>改正承诺：{content}"
        rows.append([
            Paragraph(_text(str(item.number)), styles["head"]),
            Paragraph(f"{_text(item.kind)}<br/>{_text(item.area)}", cell),
            Paragraph(content, cell),
            Paragraph(_text(item.measures), cell),
            Paragraph(_text(item.deadline), cell),
            Paragraph(_text(item.expected_effect), cell),
        ])
    if not letter.items:
        rows.append([Paragraph(_text(BLANK), styles["head"])] + [""] * (len(ITEM_HEADER) - 1))
    # splitInRow: an item longer than a page continues on the next one instead of failing.
    table = Table(rows, colWidths=ITEM_COLUMNS, repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _blank_date(style: ParagraphStyle) -> Table:
    """年 月 日 with room to write between them (paragraphs collapse runs of spaces)."""
    cells = ["", Paragraph(_text("年"), style), "", Paragraph(_text("月"), style), "", Paragraph(_text("日"), style)]
    table = Table([cells], colWidths=(1.6 * cm, 0.7 * cm, 1.0 * cm, 0.7 * cm, 1.0 * cm, 0.7 * cm), hAlign="LEFT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _signature_table(letter: Letter, styles: dict[str, ParagraphStyle]) -> Table:
    """Label, then a ruled space to sign or stamp on (already filled where the system knows)."""
    body = styles["body"]
    rows, ruled = [], []
    for r, row in enumerate(letter.signatures):
        cells: list = []
        for c, (label, value) in enumerate(row):
            cells += [Paragraph(_text(f"{label}："), body), _blank_date(body) if value == BLANK_DATE else Paragraph(_text(value), body)]
            ruled.append(("LINEBELOW", (2 * c + 1, r), (2 * c + 1, r), 0.5, colors.black))
        rows.append(cells + [""] * (len(SIGNATURE_COLUMNS) - len(cells)))
    table = Table(rows, colWidths=SIGNATURE_COLUMNS, minRowHeights=[34] * len(rows))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 2), *ruled]))
    return table


def _copy(letter: Letter, label: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    body = styles["body"]
    story: list[Flowable] = [_CopyMark(label), Paragraph(_text(label), styles["copy"]), Paragraph(_text(TITLE), styles["title"])]
    story.append(Paragraph(_text(f"{letter.unit}　{letter.round}"), styles["centre"]))
    if letter.title:
        story.append(Paragraph(_text(letter.title), styles["centre"]))
    story.append(Spacer(1, 8))
    for name, value in letter.subject:
        story.append(Paragraph(_text(f"{name}：{value}"), body))
    story += [Spacer(1, 6), Paragraph(_text(letter.preamble), body), Spacer(1, 6), _items_table(letter, styles), Spacer(1, 18)]
    if letter.published_line:
        story.append(Paragraph(_text(letter.published_line), body))
    story += [Spacer(1, 12), _signature_table(letter, styles)]
    return story


def letter_pdf(letter: Letter) -> bytes:
    buffer = io.BytesIO()
    doc = _LetterDocument(
        buffer, pagesize=A4, leftMargin=PAGE_MARGIN, rightMargin=PAGE_MARGIN, topMargin=PAGE_MARGIN, bottomMargin=PAGE_MARGIN,
        title=TITLE, author=letter.unit, subject=letter.round, creator="Jiannuo",
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="letter")
    doc.addPageTemplates([PageTemplate(id="letter", frames=[frame], onPageEnd=_footer)])
    styles = _styles()
    story: list[Flowable] = []
    for index, label in enumerate(letter.copies):
        if index:
            story.append(PageBreak())
        story += _copy(letter, label, styles)
    doc.build(story)
    return buffer.getvalue()


def pledge_letter_pdf(*, pledge: Pledge, unit: Unit) -> bytes:
    """The letter of an approved, published or completed pledge (the caller checks which)."""
    return letter_pdf(letter_content(pledge=pledge, unit=unit))
