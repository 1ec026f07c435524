"""PDF pages to gray images for OCR, with PDFium (pypdfium2): in process, no poppler binaries.

Every PDFium object (document, page, bitmap) is closed in a `finally` as soon as it is done
with, rather than left to the garbage collector: a worker renders page after page, and each
open document holds the file and its parsed objects.

Opening, its errors and the lock that serialises PDFium's calls are `shared.pdfium`'s; a
page index out of range is INPUT_INVALID too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from shared.errors import ConveyorError, ErrorCode
from shared.pdfium import PDFIUM_LOCK, open_pdfium

_POINTS_PER_INCH = 72.0


def pdf_page_count(path: Path) -> int:
    """Number of pages; the pages themselves are not loaded (~0.1 ms for a small file)."""
    with PDFIUM_LOCK, _open(path) as document:
        return len(document)


def render_pdf_page(path: Path, *, page_index: int, dpi: int = 300,
                    max_pixels: int) -> np.ndarray:
    """Page `page_index` (0-based) as an 8-bit gray (H, W) array, white paper, at `dpi`.

    The resolution is lowered when the page would exceed `max_pixels`: a poster-sized page
    (or a forged MediaBox of 200 x 200 inches) at 300 dpi would otherwise allocate gigabytes
    before anything looked at it. Peak memory is about 2 x max_pixels bytes: PDFium's
    bitmap plus the returned copy.
    """
    if dpi <= 0 or max_pixels <= 0:
        raise ValueError(f"dpi and max_pixels must be positive, got {dpi} and {max_pixels}")
    with PDFIUM_LOCK, _open(path) as document:
        _check_index(page_index, len(document))
        page = _load_page(document, page_index)
        try:
            width, height = page.get_size()  # points, after the page's /Rotate
            if not (math.isfinite(width * height) and width > 0 and height > 0):
                raise ConveyorError(ErrorCode.INPUT_INVALID, f"page {page_index + 1} of the "
                                    f"PDF has no usable size ({width:g} x {height:g} pt)")
            scale = _clamped_scale(width, height, dpi=dpi, max_pixels=max_pixels)
            bitmap = page.render(scale=scale, grayscale=True)
            try:
                # The bitmap's buffer dies with it; copy into an array numpy owns.
                return np.array(bitmap.to_numpy(), dtype=np.uint8, copy=True)
            finally:
                bitmap.close()
        finally:
            page.close()


def _clamped_scale(width: float, height: float, *, dpi: int, max_pixels: int) -> float:
    """Pixels per point for `dpi`, lowered until the rendered page fits in `max_pixels`.

    PDFium sizes the bitmap as ceil(points * scale) on each side, so the area-preserving
    estimate is stepped down until the rounded-up size fits too.
    """
    scale = dpi / _POINTS_PER_INCH
    if _pixels(width, height, scale) <= max_pixels:
        return scale
    scale = math.sqrt(max_pixels / (width * height))
    while _pixels(width, height, scale) > max_pixels:
        scale *= 0.995
    return scale


def _pixels(width: float, height: float, scale: float) -> int:
    return math.ceil(width * scale) * math.ceil(height * scale)


@contextmanager
def _open(path: Path) -> Iterator[pdfium.PdfDocument]:
    """The opened document, closed on leaving."""
    document = open_pdfium(path)
    try:
        yield document
    finally:
        document.close()


def _check_index(page_index: int, count: int) -> None:
    if not 0 <= page_index < count:
        raise ConveyorError(ErrorCode.INPUT_INVALID, f"page index {page_index} is out of "
                            f"range: the PDF has {count} page(s), indices 0 to {count - 1}")


def _load_page(document: pdfium.PdfDocument, page_index: int) -> pdfium.PdfPage:
    try:
        return document[page_index]
    except pdfium.PdfiumError as exc:
        raise ConveyorError(ErrorCode.INPUT_INVALID, f"page {page_index + 1} of the PDF is "
                            "damaged and cannot be rendered") from exc
