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
    width = max(1100, 160 + int(0.62 * size * max(map(len, lines))))
    page = Image.new("L", (width, 160 + 2 * size * len(lines)), 250)
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(lines):
        draw.text((80, 80 + 2 * size * row), line, font=font, fill=20)
    out = io.BytesIO()
    page.save(out, fmt)
    return out.getvalue()


def truncated_scan(number: int, *, fmt: str = "PNG") -> bytes:
    """A scan whose header is fine but whose pixel data stops early: intake decodes it
    and refuses it."""
    data = scan(page_lines(number), fmt=fmt)
    return data[: len(data) // 3]


# The text of Tesseract's own test page, phototest.tif (12 point text at 300 dpi).
PHOTOTEST_LINES = [
    "This is a lot of 12 point text to test the",
    "ocr code and see if it works on all types",
    "of file format.",
    "The quick brown dog jumped over the",
    "lazy fox. The quick brown dog jumped",
    "over the lazy fox. The quick brown dog",
    "jumped over the lazy fox. The quick",
    "brown dog jumped over the lazy fox.",
]


def phototest_page() -> bytes:
    """A page like phototest.tif: 12 point text at 300 dpi, PNG."""
    return scan(PHOTOTEST_LINES, size=50)


def turned(image: bytes, degrees: int) -> bytes:
    """The image turned clockwise by 90, 180 or 270 degrees, as PNG (no EXIF tag)."""
    picture = Image.open(io.BytesIO(image))
    out = io.BytesIO()
    picture.rotate(-degrees, expand=True).save(out, "PNG")
    return out.getvalue()


def character_error_rate(read: str, reference: str) -> float:
    """Levenshtein distance over the reference's length, whitespace collapsed."""
    a, b = " ".join(read.split()), " ".join(reference.split())
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char != other)))
        previous = current
    return previous[-1] / max(1, len(b))
