"""QR labels: one label as PNG or SVG (25 mm wide), and A4 sheets of many as SVG or PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

LABEL_WIDTH_MM = 25.0
QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004 asks for 4)
A4_MM = (210.0, 297.0)
SHEET_MARGIN_MM = 10.0
SHEET_GAP_MM = 4.0
CAPTION_LINE_MM = 3.2

# A font that has CJK glyphs, when the machine has one; otherwise Pillow's own (ASCII only).
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@lru_cache
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, px)
    return ImageFont.load_default(size=px)


def _matrix(text: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    qr.add_data(text)  # upper-case URL text: qrcode picks alphanumeric mode by itself
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def label_png(qr_text: str, caption: Sequence[str], *, dpi: int = 300) -> bytes:
    """A label 25 mm wide at ``dpi``: the QR, then the caption lines (code, owner) under it."""
    matrix = _matrix(qr_text)
    width_px = round(LABEL_WIDTH_MM / 25.4 * dpi)
    module = max(1, round(width_px / len(matrix)))
    side = module * len(matrix)
    line_px = round(CAPTION_LINE_MM / 25.4 * dpi)
    lines = [line for line in caption if line]
    img = Image.new("L", (side, side + line_px * len(lines) + line_px // 2), 255)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle(
                    (x * module, y * module, (x + 1) * module - 1, (y + 1) * module - 1), fill=0
                )
    font = _font(max(8, int(line_px * 0.8)))
    for i, line in enumerate(lines):
        box = draw.textbbox((0, 0), line, font=font)
        while box[2] - box[0] > side and len(line) > 4:  # shorten what does not fit
            line = line[:-2] + "…"
            box = draw.textbbox((0, 0), line, font=font)
        draw.text(((side - (box[2] - box[0])) // 2, side + i * line_px), line, fill=0, font=font)
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _svg_group(qr_text: str, caption: Sequence[str], x_mm: float, y_mm: float) -> str:
    matrix = _matrix(qr_text)
    module = LABEL_WIDTH_MM / len(matrix)
    path = "".join(
        f"M{x * module:.3f},{y * module:.3f}h{module:.3f}v{module:.3f}h-{module:.3f}z"
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    )
    texts = "".join(
        f'<text x="{LABEL_WIDTH_MM / 2}" y="{LABEL_WIDTH_MM + (i + 0.8) * CAPTION_LINE_MM:.2f}" '
        f'font-size="{CAPTION_LINE_MM * 0.8:.2f}" text-anchor="middle" '
        f'font-family="sans-serif">{escape(line)}</text>'
        for i, line in enumerate(line for line in caption if line)
    )
    return (
        f'<g transform="translate({x_mm:.2f},{y_mm:.2f})">'
        f'<rect width="{LABEL_WIDTH_MM}" height="{label_height_mm(caption):.2f}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/>{texts}</g>'
    )


def label_height_mm(caption: Sequence[str]) -> float:
    return LABEL_WIDTH_MM + CAPTION_LINE_MM * (len([c for c in caption if c]) + 0.5)


def label_svg(qr_text: str, caption: Sequence[str]) -> str:
    h = label_height_mm(caption)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH_MM}mm" height="{h:.2f}mm" '
        f'viewBox="0 0 {LABEL_WIDTH_MM} {h:.2f}">{_svg_group(qr_text, caption, 0, 0)}</svg>'
    )


def _grid(caption_lines: int) -> tuple[int, int, float, float]:
    cell_w = LABEL_WIDTH_MM + SHEET_GAP_MM
    cell_h = LABEL_WIDTH_MM + CAPTION_LINE_MM * (caption_lines + 0.5) + SHEET_GAP_MM
    cols = int((A4_MM[0] - 2 * SHEET_MARGIN_MM + SHEET_GAP_MM) // cell_w)
    rows = int((A4_MM[1] - 2 * SHEET_MARGIN_MM + SHEET_GAP_MM) // cell_h)
    return cols, rows, cell_w, cell_h


def _pages(
    labels: Sequence[tuple[str, Sequence[str]]],
) -> tuple[list[Sequence[tuple[str, Sequence[str]]]], tuple[int, int, float, float]]:
    lines = max((len([c for c in cap if c]) for _, cap in labels), default=2)
    grid = _grid(lines)
    per_page = grid[0] * grid[1]
    return [labels[i:i + per_page] for i in range(0, len(labels), per_page)] or [[]], grid


def label_sheet_svg(labels: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """A4 pages (one SVG each) with a grid of 25 mm labels."""
    pages, (cols, _, cell_w, cell_h) = _pages(labels)
    out = []
    for page in pages:
        groups = "".join(
            _svg_group(text, cap, SHEET_MARGIN_MM + (i % cols) * cell_w,
                       SHEET_MARGIN_MM + (i // cols) * cell_h)
            for i, (text, cap) in enumerate(page)
        )
        out.append(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{A4_MM[0]}mm" height="{A4_MM[1]}mm" '
            f'viewBox="0 0 {A4_MM[0]} {A4_MM[1]}">{groups}</svg>'
        )
    return out


def label_sheet_pdf(labels: Sequence[tuple[str, Sequence[str]]], *, dpi: int = 300) -> bytes:
    """The same sheets as a PDF, one A4 page each (rendered at ``dpi``)."""
    pages, (cols, _, cell_w, cell_h) = _pages(labels)
    px = dpi / 25.4
    images = []
    for page in pages:
        sheet = Image.new("L", (round(A4_MM[0] * px), round(A4_MM[1] * px)), 255)
        for i, (text, cap) in enumerate(page):
            label = Image.open(io.BytesIO(label_png(text, cap, dpi=dpi)))
            sheet.paste(label, (round((SHEET_MARGIN_MM + (i % cols) * cell_w) * px),
                                round((SHEET_MARGIN_MM + (i // cols) * cell_h) * px)))
        images.append(sheet)
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out.getvalue()
