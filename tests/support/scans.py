"""Scanned-looking page images with known text, for the page-OCR tests (seed 003)."""

import io

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WORDS = ["harbor", "lantern", "meadow", "silver", "garden", "window", "morning", "letter"]


def page_lines(number: int) -> list[str]:
    """Three lines that say which page they are on."""
    return [f"Page {number} of the harbor report", f"{WORDS[number % 8]} lantern meadow",
            f"Reference number {1000 + number}"]


def scan(lines: list[str], *, fmt: str = "PNG", size: int = 34) -> bytes:
    font = ImageFont.truetype(FONT, size)
    page = Image.new("L", (1100, 160 + 70 * len(lines)), 250)
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(lines):
        draw.text((80, 80 + 70 * row), line, font=font, fill=20)
    out = io.BytesIO()
    page.save(out, fmt)
    return out.getvalue()


def truncated_scan(number: int, *, fmt: str = "PNG") -> bytes:
    """A scan whose header is fine but whose pixel data stops early: intake decodes it
    and refuses it."""
    data = scan(page_lines(number), fmt=fmt)
    return data[: len(data) // 3]
