"""The signed pledge letter (承诺书): a Chinese PDF in triplicate naming the subject, the
items with their measures, deadlines and expected effects, and the lines to sign."""
from __future__ import annotations

import io
import re

from django.db.models import Prefetch
from django.utils import timezone, translation
from pdfminer.pdfdevice import PDFDevice
from pdfminer.pdffont import PDFCIDFont
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage

from pledges import services
from pledges.letter import BLANK, COPIES_MEMBER, COPIES_ORGANIZATION, ENCODING, FONT, chinese_date, drawable, letter_content, pledge_letter_pdf
from pledges.models import ItemKind, Pledge, PledgeItem
from pledges.services import rules_of
from tenants.organization.models import Member, Organization
from tenants.services import unit_run
from tests.pledges.support import IN_PROPOSE, IN_REVIEW, item, member_items, published_pledge, round_around_today, who

PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pages_of(pdf: bytes) -> int:
    return len(PAGE.findall(pdf))


def joint_pledge_approved(unit_world, round) -> Pledge:
    """Branch 1 pledges together with branch 2; the unit admins approve (no committee secretary)."""
    branch, branch2 = Organization.objects.get(pk=unit_world.branch_id), Organization.objects.get(pk=unit_world.branch2_id)
    items = [item("deed", "service", content=f"为群众办实事 {n}") for n in range(1, 4)]
    pledge = services.pledge_create(
        round=round, who=who(unit_world.secretary), subject=Pledge.Subject.JOINT, organization=branch,
        co_organizations=[branch2], items=items, today=IN_PROPOSE,
    )
    pledge = services.pledge_submit(pledge=pledge, who=who(unit_world.secretary), today=IN_PROPOSE)
    admin = who(unit_world.admin, admin=True)
    return services.pledge_approve(pledge=pledge, who=admin, checklist=rules_of(round).review_checklist, today=IN_REVIEW)


def test_letter_is_a_pdf_of_three_copies_in_the_standard_chinese_font(world, db):
    with unit_run(world["A"].unit):
        pledge = published_pledge(world["A"], round_around_today())
        pdf = pledge_letter_pdf(pledge=pledge, unit=world["A"].unit)
    assert pdf.startswith(b"%PDF")
    assert pages_of(pdf) == 3  # one each for the member, the branch and the public board
    assert FONT.encode() in pdf


def test_a_members_letter_names_the_member_their_branch_post_and_every_item(world, db):
    items = member_items(main=2, corrections=1)
    items[0].update(content="每月走访联系户", measures="每周安排半天走访", expected_effect="联系户全覆盖")
    items[1].update(content="带头学习党章党规", measures="每天学习一小时")
    items[2].update(shortcoming="联系群众不够主动", content="主动上门听取意见", measures="每月至少两次上门")
    with unit_run(world["A"].unit):
        pledge = published_pledge(world["A"], round_around_today(theme="亮身份 作表率"), items=items)
        with translation.override("en"):  # whoever asks, the letter is Chinese
            letter = letter_content(pledge=pledge, unit=world["A"].unit)
        with translation.override("zh-hans"):
            correction_label = str(ItemKind.CORRECTION.label)
        saved = list(pledge.items.order_by("position"))

    lines = letter.lines()
    assert {"承诺人：A Member", "所在党支部：A Branch 1", "岗位：Clerk"} <= set(lines)
    assert letter.unit == "Unit A" and "亮身份 作表率" in letter.round
    for given, row, stored in zip(items, letter.items, saved):
        assert row.content == given["content"] and row.measures == given["measures"]
        assert row.deadline == chinese_date(stored.deadline) and row.deadline in lines
    assert [row.number for row in letter.items] == [1, 2, 3]
    assert letter.items[0].expected_effect == "联系户全覆盖"
    correction = letter.items[2]
    assert correction.kind == correction_label and correction.shortcoming == "联系群众不够主动"
    assert letter.items[0].shortcoming == ""  # only corrections name a shortcoming
    assert set(COPIES_MEMBER) <= set(lines)
    assert "第一联 承诺人留存" in lines and "第三联 公示栏张贴" in lines
    # The secretary of the member's branch reviewed it, on the day recorded.
    assert "审核单位（盖章）：A Branch 1" in lines
    assert f"审核日期：{chinese_date(timezone.localdate(pledge.approved_at))}" in lines
    assert f"公示日期：{chinese_date(timezone.localdate(pledge.published_at))}" in lines
    assert any(line.startswith("承诺人签字") for line in lines)


def test_a_joint_letter_names_the_partner_organisations_and_is_filed_above(world, db):
    with unit_run(world["A"].unit):
        pledge = joint_pledge_approved(world["A"], round_around_today())
        letter = letter_content(pledge=pledge, unit=world["A"].unit)
        pdf = pledge_letter_pdf(pledge=pledge, unit=world["A"].unit)
    lines = letter.lines()
    assert {"牵头组织：A Branch 1", "联合承诺组织：A Branch 2"} <= set(lines)
    assert set(COPIES_ORGANIZATION) <= set(lines)
    assert "承诺组织（盖章）：" in lines
    # An organisation's letter is reviewed and stamped by the organisation above.
    assert "审核单位（盖章）：A Committee" in lines
    assert [row.content for row in letter.items] == ["为群众办实事 1", "为群众办实事 2", "为群众办实事 3"]
    assert pages_of(pdf) == 3


def test_long_text_and_empty_optional_fields_still_make_a_letter(world, db):
    with unit_run(world["A"].unit):
        pledge = published_pledge(world["A"], round_around_today())
        # Items at their longest, with markup-like text and nothing in the optional fields.
        PledgeItem.objects.filter(pledge=pledge).update(
            content="认真履职<b>&尽责</b>" + "为民服务" * 240, measures="落实" * 490, expected_effect="",
        )
        pledge = Pledge.objects.prefetch_related(Prefetch("items", queryset=PledgeItem.objects.order_by("position"))).get(pk=pledge.pk)
        letter = letter_content(pledge=pledge, unit=world["A"].unit)
        pdf = pledge_letter_pdf(pledge=pledge, unit=world["A"].unit)
    assert pdf.startswith(b"%PDF")
    assert pages_of(pdf) > 3  # each copy runs over several pages rather than failing
    assert all(row.expected_effect == BLANK for row in letter.items)
    assert letter.items[0].content.startswith("认真履职<b>&尽责</b>")


class _DrawnText(PDFDevice):
    """Every string a reader draws, with its font's encoding and the glyph (CID) each code resolves to."""

    def __init__(self, resources: PDFResourceManager):
        super().__init__(resources)
        self.drawn: list[tuple[str, str, list[int | None]]] = []  # (encoding, text, CID of each code)

    def render_string(self, textstate, seq, ncs, graphicstate) -> None:
        font = textstate.font
        for chunk in seq:
            if not isinstance(chunk, bytes):
                continue  # a kerning adjustment
            if not isinstance(font, PDFCIDFont):
                self.drawn.append((str(font.fontname), chunk.decode("latin-1"), [None] * len(chunk)))
                continue
            # reportlab writes UTF-16 codes; a reader looks each one up in the font's CMap.
            units = [chunk[i:i + 2] for i in range(0, len(chunk), 2)]
            cids = [next(iter(font.decode(unit)), 0) for unit in units]
            self.drawn.append((font.cmap.attrs["CMapName"], chunk.decode("utf-16-be", errors="replace"), cids))


def drawn_text(pdf: bytes) -> list[tuple[str, str, list[int | None]]]:
    resources = PDFResourceManager()
    device = _DrawnText(resources)
    interpreter = PDFPageInterpreter(resources, device)
    for page in PDFPage.get_pages(io.BytesIO(pdf)):
        interpreter.process_page(page)
    return device.drawn


def _letter_pdf_of(unit_world, *, name: str, items: list[dict]) -> bytes:
    with unit_run(unit_world.unit):
        Member.objects.filter(user=unit_world.member).update(name=name)
        pledge = published_pledge(unit_world, round_around_today(theme="亮身份 作表率"), items=items)
        return pledge_letter_pdf(pledge=pledge, unit=unit_world.unit)


def test_every_character_the_letter_draws_is_one_the_chinese_font_has(world, db):
    """STSong-Light is not embedded: a reader draws each code through the font's CMap, and a code
    it lacks is an empty box. What people type includes such codes: the middle dot of a name like
    买买提·艾力, bullets, no-break spaces, emoji."""
    items = member_items(main=2, corrections=1)
    for data, content in zip(items, ("每月走访联系户 • 每户登记", "带头学习党章\u00a0党规", "主动听取意见👍🏽")):
        data["content"] = content
    items[1]["expected_effect"] = ""  # an empty field draws the blank mark
    drawn = drawn_text(_letter_pdf_of(world["A"], name="买买提·艾力", items=items))

    assert drawn and {encoding for encoding, _text, _cids in drawn} == {ENCODING}  # all in the Chinese font
    text = "".join(line for _font, line, _cids in drawn)
    assert "第1页" in text and "承诺书" in text  # the footer and the title are among what was read
    missing = sorted({ch for _font, line, cids in drawn for ch, cid in zip(line, cids) if not cid})
    assert not missing, missing
    # What the member typed still reads as they meant it, in the font's own characters.
    assert "买买提・艾力" in text and "每月走访联系户 ・ 每户登记" in text and "带头学习党章 党规" in text
    assert "主动听取意见〓" in text  # a character the font cannot draw shows as 〓 (never an empty box)


def test_the_font_check_sees_a_glyph_the_font_lacks():
    """The check above can fail: a middle dot drawn as it is resolves to no glyph."""
    from reportlab.pdfgen.canvas import Canvas

    from pledges.letter import _font

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.setFont(_font(), 12)
    canvas.drawString(72, 72, "买买提·艾力")
    canvas.save()
    [(font, line, cids)] = drawn_text(buffer.getvalue())
    assert line == "买买提·艾力" and [ch for ch, cid in zip(line, cids) if not cid] == ["·"]


def test_text_the_font_has_is_drawn_as_typed():
    assert drawable("张三，《党章》“学习”（第1章）—— 100%") == "张三，《党章》“学习”（第1章）—— 100%"


def test_the_letter_names_the_year_once_whatever_the_round_is_called(world, db):
    with unit_run(world["A"].unit):
        themed = letter_content(pledge=published_pledge(world["A"], round_around_today(theme="2026年度党员公开承诺")), unit=world["A"].unit)
    with unit_run(world["B"].unit):
        plain = letter_content(pledge=published_pledge(world["B"], round_around_today(theme="亮身份 作表率")), unit=world["B"].unit)
    assert themed.round == "2026年度党员公开承诺"
    assert plain.round == "2026年度亮身份 作表率"
    for letter in (themed, plain):
        assert sum(line.count("2026") for line in [letter.round, letter.title]) == 1


def test_before_approval_the_letter_is_a_documented_409(world, db):
    from tests.conftest import api_client_for, unit_url
    from tests.pledges.support import submitted_pledge

    with unit_run(world["A"].unit):
        pledge = submitted_pledge(world["A"], round_around_today(theme="亮身份 作表率"), user=world["A"].other_member)
    answer = api_client_for(world["A"].other_member).get(unit_url(world["A"], f"pledges/{pledge.pk}/letter/"))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "conflict"  # and as the schema says
