"""PDFs whose pages are scans (images, no text layer), with the sentences they show.

A page is rendered the way a flatbed scanner at 200 dpi would see printed A4 paper: 12 pt
serif text on white, as an 8-bit gray JPEG (what most scanners write), a 1-bit CCITT
Group 4 image (a fax) or turned a few degrees (paper laid crookedly).
"""

import difflib
import io

from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SCAN_DPI = 200
_A4_INCHES = (8.27, 11.69)

# Two sentences per page, each over two lines, so OCR'd lines must be joined into sentences.
SCANNED_SENTENCES = [
    ["The harbor lantern was lit at dusk, and the keeper walked along the quiet meadow.",
     "Every morning the silver river carried letters from the station to the market."],
    ["A yellow engine waited at the bridge while the teacher counted the passengers.",
     "Nobody in the village could answer the question about the history of the forest."],
    ["Summer storms bent the garden trees, but the old stone window never cracked.",
     "The paper mill closed in winter, and its workers travelled to the mountain."],
]


def _lines(sentences: list[str], width: int = 52) -> list[str]:
    """Break sentences into lines of at most `width` characters, as a typesetter would."""
    lines: list[str] = []
    for sentence in sentences:
        line = ""
        for word in sentence.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    return lines


def scan(sentences: list[str], *, mode: str = "L", angle: float = 0.0) -> Image.Image:
    """An A4 page at SCAN_DPI showing `sentences`; mode "1" is a bilevel (fax) image."""
    width, height = (round(side * SCAN_DPI) for side in _A4_INCHES)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, round(SCAN_DPI * 12 / 72))
    line_height = round(SCAN_DPI * 18 / 72)
    for row, line in enumerate(_lines(sentences)):
        draw.text((SCAN_DPI, SCAN_DPI + row * line_height), line, font=font, fill=15)
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return page.convert("1") if mode == "1" else page


def images_pdf(pages: list[Image.Image]) -> bytes:
    """A PDF with one image per page and nothing else (Pillow: JPEG for gray pages,
    CCITT Group 4 for bilevel ones)."""
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=SCAN_DPI, save_all=True, append_images=pages[1:])
    return out.getvalue()


def join_pdfs(parts: list[bytes]) -> bytes:
    """The pages of every PDF in `parts`, in order, as one PDF."""
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def similar(read: str, expected: str) -> bool:
    """OCR may miss a character or two: at least 95% alike, case and spacing aside."""
    def norm(text: str) -> str:
        return " ".join(text.lower().split())

    return difflib.SequenceMatcher(None, norm(read), norm(expected)).ratio() >= 0.95
