"""Reading one scanned PDF page with OCR: the PDF worker's only call into `shared.ocr`.

One function on purpose: what the OCR engine learns (turned pages, for one) is adopted
here, in one place, and every caller gets it.
"""

from dataclasses import dataclass
from pathlib import Path

from shared.ocr import tesseract
from shared.ocr.rasterise import render_pdf_page
from shared.ocr.reading import read_upright
from shared.settings import get_settings

# A book page is laid out freely (headings, columns, captions): Tesseract's automatic
# page segmentation, as for the page uploads of seed 003.
PAGE_PSM = 3
# Tesseract's own sweet spot; preprocessing rescales the text height from there anyway.
RENDER_DPI = 300
LANGUAGES = "pol+eng"
# On a photo or a blank scan Tesseract still "reads" a few specks; a word counts only
# with this confidence and a letter or digit in it (the receipt check's threshold).
_MIN_WORD_CONFIDENCE = 30.0


@dataclass(frozen=True, kw_only=True)
class ScannedPage:
    text: str  # lines joined by newlines, paragraphs by a blank line; "" when nothing read
    mean_confidence: float  # 0..100 over the words read; 0.0 when there are none
    word_count: int
    turned_degrees: int  # clockwise turn that brought the scan upright before reading


def read_scanned_page(path: Path, page_index: int) -> ScannedPage:
    """Render page `page_index` (0-based) of the PDF at `path` and read it with Tesseract."""
    image = render_pdf_page(path, page_index=page_index, dpi=RENDER_DPI,
                            max_pixels=get_settings().max_image_pixels)
    reading = read_upright(image, psm=PAGE_PSM, languages=LANGUAGES)
    result = reading.ocr
    if not any(_readable(word) for word in result.words):
        return ScannedPage(text="", mean_confidence=0.0, word_count=0, turned_degrees=0)
    return ScannedPage(text=result.text, mean_confidence=result.mean_confidence,
                       word_count=len(result.words), turned_degrees=reading.turned_degrees)


def _readable(word: tesseract.OcrWord) -> bool:
    return word.confidence >= _MIN_WORD_CONFIDENCE and any(c.isalnum() for c in word.text)
