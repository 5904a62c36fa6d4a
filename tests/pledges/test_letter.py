"""The signed pledge letter (承诺书): a Chinese PDF in triplicate naming the subject, the
items with their measures, deadlines and expected effects, and the lines to sign."""
from __future__ import annotations

import re

from django.db.models import Prefetch
from django.utils import timezone, translation

from pledges import services
from pledges.letter import BLANK, COPIES_MEMBER, COPIES_ORGANIZATION, FONT, chinese_date, letter_content, pledge_letter_pdf
from pledges.models import ItemKind, Pledge, PledgeItem
from pledges.services import rules_of
from tenants.organization.models import Organization
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


def _drawn_text(pdf: bytes) -> list[str]:
    """Every string the letter draws (reportlab writes CID text as UTF-16 in `(…) Tj`, in
    ASCII85 + Flate streams)."""
    import base64
    import zlib

    def unescape(raw: bytes) -> bytes:
        return re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8) & 0xFF]) if m.group(1)[:1].isdigit()
                      else {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(m.group(1), m.group(1)), raw, flags=re.S)

    strings = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        stream = stream.strip()
        if stream.endswith(b"~>"):
            stream = base64.a85decode(stream[:-2])
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        strings += [unescape(s).decode("utf-16-be") for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S)]
    return strings


def _in_every_gb_font(ch: str) -> bool:
    """Characters the standard Chinese font (STSong-Light, GB) draws in every viewer: ASCII,
    CJK ideographs, CJK punctuation and full-width forms."""
    code = ord(ch)
    return 0x20 <= code < 0x7F or 0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF5E


def test_every_character_the_letter_draws_is_one_the_chinese_font_has(world, db):
    items = member_items(main=2, corrections=1)
    for data, content in zip(items, ("每月走访联系户", "带头学习党章", "主动听取意见")):
        data["content"] = content
    items[1]["expected_effect"] = ""  # an empty field draws the blank mark
    with unit_run(world["A"].unit):
        pledge = published_pledge(world["A"], round_around_today(theme="亮身份 作表率"), items=items)
        drawn = _drawn_text(pledge_letter_pdf(pledge=pledge, unit=world["A"].unit))
    assert any("第1页" in line for line in drawn)  # the footer is among what was read
    missing = sorted({ch for line in drawn for ch in line if not _in_every_gb_font(ch)})
    assert not missing, missing


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
