"""Lines read on their own: those Tesseract's page segmentation left out, found as ink no
word covers, and lines whose reading is to be checked (`reread_line`).

With one uniform block of text (psm 6, what receipts are read with) Tesseract drops a line
printed in double-height type: "TOTAL: 48.15" on SROIE receipt 107 was missing from the
reading altogether. Ink that no recognised word's box covers, in glyph-sized pieces lined
up in a row, is such a line; each row is read as a single line (psm 7) and put into the
reading by its height on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import cv2
import numpy as np

from shared.ocr import tesseract

_MARGIN = 3  # px around a word's box that counts as covered
_GLYPH_HEIGHTS = (10, 150)  # px: body text (~22 px after imaging) up to double height
_MIN_GLYPH_AREA = 20
_MIN_GLYPHS = 3  # in a row: fewer is a speck, a stamp's edge, a stray mark
_JOIN = (45, 5)  # px: glyphs this close side by side form one run of text
_MAX_ROWS = 6
_MIN_CONFIDENCE = 60.0  # a row read with less is noise: a logo, a stamp, handwriting


def with_unread_lines(prepared: np.ndarray, reading: tesseract.OcrResult, *,
                      languages: str, between_reads: Callable[[], None] | None = None
                      ) -> tesseract.OcrResult:
    """`reading` with the rows of text it left out read and put in their place.
    `between_reads` is called before each Tesseract run (a chunk's heartbeat)."""
    pause = between_reads or (lambda: None)
    lines = []
    for row in _unread_rows(prepared, reading.words)[:_MAX_ROWS]:
        words = []
        for box in sorted(row):
            pause()
            words += _read_box(prepared, box, languages)
        confident = words and (sum(w.confidence for w in words) / len(words)
                               >= _MIN_CONFIDENCE)
        if confident and any(c.isalnum() for w in words for c in w.text):
            lines.append(words)
    return tesseract.with_lines(reading, lines) if lines else reading


def _unread_rows(prepared: np.ndarray, words: list[tesseract.OcrWord]
                 ) -> list[list[tuple[int, int, int, int]]]:
    """Boxes (x, y, w, h) of runs of uncovered glyphs, grouped into rows, most glyphs first."""
    ink = (prepared < 128).astype(np.uint8)
    for word in words:
        ink[max(0, word.top - _MARGIN): word.top + word.height + _MARGIN,
            max(0, word.left - _MARGIN): word.left + word.width + _MARGIN] = 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    glyph = ((heights >= _GLYPH_HEIGHTS[0]) & (heights <= _GLYPH_HEIGHTS[1])
             & (widths <= 3 * heights) & (stats[1:, cv2.CC_STAT_AREA] >= _MIN_GLYPH_AREA))
    if not glyph.any():
        return []
    keep = np.zeros(count, np.uint8)
    keep[1:][glyph] = 1
    glyphs = keep[labels]
    runs = cv2.dilate(glyphs, cv2.getStructuringElement(cv2.MORPH_RECT, _JOIN))
    _, _, boxes, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    found = []
    for x, y, w, h, _ in boxes[1:]:
        inside = cv2.connectedComponents(glyphs[y: y + h, x: x + w])[0] - 1
        if inside >= _MIN_GLYPHS and w >= 2 * h:
            found.append((inside, (int(x), int(y), int(w), int(h))))
    return _rows([box for _, box in sorted(found, reverse=True)])


def _rows(boxes: list[tuple[int, int, int, int]]) -> list[list[tuple[int, int, int, int]]]:
    """Boxes sharing most of their height are one row ("TOTAL:" and "48.15" far apart)."""
    rows: list[list[tuple[int, int, int, int]]] = []
    for box in boxes:
        for row in rows:
            _, y, _, h = row[0]
            overlap = min(y + h, box[1] + box[3]) - max(y, box[1])
            if overlap > 0.5 * min(h, box[3]):
                row.append(box)
                break
        else:
            rows.append([box])
    return rows


def _read_box(prepared: np.ndarray, box: tuple[int, int, int, int], languages: str
              ) -> list[tesseract.OcrWord]:
    x, y, w, h = box
    pad = max(4, h // 4)
    top, left = max(0, y - pad), max(0, x - pad)
    crop = prepared[top: y + h + pad, left: x + w + pad]
    reading = tesseract.recognise(crop, psm=7, languages=languages)
    return [replace(word, left=word.left + left, top=word.top + top) for word in reading.words]


def reread_line(prepared: np.ndarray, words: list[tesseract.OcrWord], *, languages: str
                ) -> Iterator[str]:
    """The line that `words` were read from, read again on its own, lazily (each reading is
    a Tesseract run): first as a single line with its rules erased, then enlarged twice as a
    block. Read inside a whole block, a line crossed by an underline lost its faint slashes
    ("3009/2018" for "30/03/2018"); alone and without the rule it read "30032018"."""
    left, top = min(w.left for w in words), min(w.top for w in words)
    right = max(w.left + w.width for w in words)
    bottom = max(w.top + w.height for w in words)
    pad = max(4, (bottom - top) // 3)
    crop = _without_rules(prepared[max(0, top - pad): bottom + pad,
                                   max(0, left - pad): right + pad])
    yield tesseract.recognise(crop, psm=7, languages=languages).text
    enlarged = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    yield tesseract.recognise(enlarged, psm=6, languages=languages).text


def _without_rules(crop: np.ndarray) -> np.ndarray:
    """`crop` with its horizontal rules (runs of ink an eighth of its width long) painted
    white."""
    ink = (crop < 128).astype(np.uint8)
    length = max(15, crop.shape[1] // 8)
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    cleaned = crop.copy()
    cleaned[rules > 0] = 255
    return cleaned
