"""The sheet of one-time links a secretary prints for the evaluation meeting: one card per
evaluator with the link's QR code and the evaluator's name, in the standard Chinese font. The
links exist only in this sheet (and the answer that made it): the platform keeps their hashes."""
from __future__ import annotations

import io

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from pledges.letter import _font, drawable

COLUMNS, ROWS = 3, 4
MARGIN = 1.5 * cm


def panel_sheet_pdf(*, title: str, branch: str, people: list[tuple[str, str]]) -> bytes:
    """`people`: (name, link) pairs. Cards 3 × 4 to an A4 page, each to be cut out and handed over."""
    font = _font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(drawable(f"{branch} 群众评议二维码"))
    width, height = A4
    card_w = (width - 2 * MARGIN) / COLUMNS
    card_h = (height - 2 * MARGIN - 1.2 * cm) / ROWS
    for start in range(0, max(len(people), 1), COLUMNS * ROWS):
        canvas.setFont(font, 12)
        canvas.drawString(MARGIN, height - MARGIN - 0.4 * cm, drawable(f"{title}　{branch}　群众评议（扫码评议，每码限用一次，匿名）"))
        for index, (name, link) in enumerate(people[start:start + COLUMNS * ROWS]):
            column, row = index % COLUMNS, index // COLUMNS
            x = MARGIN + column * card_w
            y = height - MARGIN - 1.2 * cm - (row + 1) * card_h
            canvas.setDash(2, 2)
            canvas.rect(x + 2, y + 2, card_w - 4, card_h - 4)
            canvas.setDash()
            _qr(canvas, link, x + card_w / 2, y + card_h / 2 + 0.4 * cm, size=min(card_w, card_h) - 2.2 * cm)
            canvas.setFont(font, 11)
            canvas.drawCentredString(x + card_w / 2, y + 0.6 * cm, drawable(name))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _qr(canvas: Canvas, link: str, centre_x: float, centre_y: float, *, size: float) -> None:
    """The link's QR code, drawn module by module (no image files, nothing written to disk)."""
    matrix = [list(row) for row in segno.make(link, error="m").matrix]
    count = len(matrix)
    module = size / count
    left, top = centre_x - size / 2, centre_y + size / 2
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(left + c * module, top - (r + 1) * module, module, module, stroke=0, fill=1)
