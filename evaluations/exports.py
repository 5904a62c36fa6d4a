"""The results on paper: an Excel workbook and a printable PDF (Chinese), the formula at the top,
each member's score and grade as they may be shown, the component means that may be shown (3
anonymous grades or more), commendation, rectification and the unqualified mark."""
from __future__ import annotations

import io

from openpyxl import Workbook
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from pledges.letter import _font, drawable
from tenants.excel import table_write

from . import scoring

COMPONENT_ORDER = [scoring.PEER, scoring.BRANCH, scoring.PUBLIC, scoring.LEADER, scoring.ORGANISATION, scoring.TEAM, scoring.SELF]
STATES = {"open": "整改中", "rectified": "已整改", "refused": "拒不整改"}


def _table(rows: list[dict]) -> tuple[list[str], list[list]]:
    headers = ["党支部", "姓名", "综合得分", "等次", *[scoring.METHOD_NAMES[m] for m in COMPONENT_ORDER], "表彰", "整改", "民主评议"]
    body = []
    for r in rows:
        means = {c["method"]: c["mean"] for c in r["components"]}
        body.append([
            r["branch"]["name"], r["member"]["name"],
            "待满三份匿名评价" if r["withheld"] else (str(r["score"]) if r["score"] is not None else "—"), r["grade_label"] or "—",
            *[str(means[m]) if means.get(m) is not None else "" for m in COMPONENT_ORDER],
            "✓" if r["commended"] else "", STATES.get(r["rectification"], ""), "不合格" if r["unqualified"] else "",
        ])
    return headers, body


def results_workbook(*, title: str, formulas: list[str], rows: list[dict]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("评诺结果")
    headers, body = _table(rows)
    table_write(sheet, headers, body, widths=[14, 8, 10, 8, *[10] * len(COMPONENT_ORDER), 6, 8, 8], title=title)
    table_write(workbook.create_sheet("计分公式"), ["计分公式"], [[formula] for formula in formulas], widths=[50])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def results_pdf(*, title: str, formulas: list[str], rows: list[dict]) -> bytes:
    """A4 landscape, the formula at the top of the first page, 26 members a page."""
    font = _font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=landscape(A4), invariant=1)
    canvas.setTitle(drawable(title))
    width, height = landscape(A4)
    headers, body = _table(rows)
    columns = [3.2, 2.0, 2.4, 1.6, *[1.6] * len(COMPONENT_ORDER), 1.0, 1.6, 1.6]
    per_page = 26
    for start in range(0, max(len(body), 1), per_page):
        y = height - 1.5 * cm
        canvas.setFont(font, 14)
        canvas.drawString(1.5 * cm, y, drawable(title))
        y -= 0.7 * cm
        if start == 0:
            canvas.setFont(font, 7)
            for formula in formulas:
                for line in _wrap(formula, 150):
                    canvas.drawString(1.5 * cm, y, drawable(line))
                    y -= 0.38 * cm
            y -= 0.2 * cm
        canvas.setFont(font, 8)
        for line in [headers, *body[start:start + per_page]]:
            x = 1.5 * cm
            for text, w in zip(line, columns):
                canvas.drawString(x, y, drawable(str(text)))
                x += w * cm
            y -= 0.5 * cm
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]
