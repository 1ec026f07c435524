"""Which way up a page is: its text lines' axis from ink profiles, upside down from trial reads.

A scan or photo without an EXIF tag can come in turned by a quarter or a half turn.
Tesseract reads such a page as garbage (a page upside down: character error rate 0.82).

1. `lines_run_vertically`: are the text lines vertical (a 90 or 270 degree turn)? A
   character's nearest neighbour is the next one on its line far more often than one on
   the line above or below, so the direction most glyphs find their nearest neighbour in
   is the lines' direction. About 20 ms; on the 60 real receipts of
   ../shared/data/receipts-sroie, 61-96% of glyphs looked across upright and 4-37% once
   turned by 90 degrees. (Ink profiles, rows against columns, were tried first and called
   2 of 60 turned receipts wrong: their item columns make the column profile peaky too.)
2. `looks_upside_down`: only when a whole reading came out poor. A strip of the lines
   with the most body-text characters is read as it is and turned by 180 degrees; the
   words of the right way up are read with far more confidence (the 60 SROIE receipts
   upright: 20 to 55 points more than turned). A good first reading is never
   second-guessed, so an upright page pays for step 1 alone.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from shared.ocr import tesseract

# Glyphs are found on a copy at most this long; at most this many are compared pairwise.
_PROFILE_SIDE = 1000
_MAX_GLYPHS = 1000
_MIN_GLYPHS = 20
# Text lines in the trial strip, at the normalised text height of `imaging`.
_STRIP_LINES = 8
_LINE_PITCH = 40
_GLYPH_HEIGHTS = (8, 40)  # px, around the normalised text height of 22 px
# The turned strip must read this many confidence points better to turn the page.
_UPSIDE_DOWN_MARGIN = 10.0
_MIN_TRIAL_WORDS = 3


def lines_run_vertically(gray: np.ndarray) -> bool:
    """True when the page's text lines run top to bottom (the page lies on its side)."""
    centres = _glyph_centres(gray)
    if len(centres) < _MIN_GLYPHS:
        return False
    if len(centres) > _MAX_GLYPHS:
        pick = np.random.default_rng(0).choice(len(centres), _MAX_GLYPHS, replace=False)
        centres = centres[pick]
    distances = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(distances, np.inf)
    step = centres[distances.argmin(axis=1)] - centres
    across = np.abs(step[:, 0]) > np.abs(step[:, 1])
    return float(across.mean()) < 0.5


def _glyph_centres(gray: np.ndarray) -> np.ndarray:
    """(x, y) centres of the character-sized blobs of ink, on a copy at most
    _PROFILE_SIDE long."""
    small = gray
    scale = _PROFILE_SIDE / max(gray.shape)
    if scale < 1:
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                31, 15)
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    size = np.maximum(stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH])
    glyph = (size >= 3) & (size <= 40) & (stats[1:, cv2.CC_STAT_AREA] >= 4)
    return np.asarray(centres[1:][glyph], dtype=np.float32)


def looks_upside_down(prepared: np.ndarray, *, languages: str,
                      between_reads: Callable[[], None] | None = None) -> bool:
    """Read a strip of the densest text both ways up; True when turned it reads clearly
    better. `between_reads` is called between the two reads (a chunk's heartbeat)."""
    strip = _densest_strip(prepared)
    upright = _trial_confidence(strip, languages=languages)
    if between_reads is not None:
        between_reads()
    turned = _trial_confidence(cv2.rotate(strip, cv2.ROTATE_180), languages=languages)
    if turned is None:
        return False
    return upright is None or turned >= upright + _UPSIDE_DOWN_MARGIN


def _densest_strip(prepared: np.ndarray) -> np.ndarray:
    """The band of _STRIP_LINES lines holding the most characters of body-text size (not
    the heaviest ink: an order number in huge type or a row of dashes reads poorly either
    way up)."""
    ink = (prepared < 128).astype(np.uint8)
    _, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    glyph = (heights >= _GLYPH_HEIGHTS[0]) & (heights <= _GLYPH_HEIGHTS[1])
    rows = np.bincount(centres[1:][glyph][:, 1].astype(np.int64), minlength=len(ink))
    height = min(len(rows), _STRIP_LINES * _LINE_PITCH)
    top = int(np.argmax(np.convolve(rows.astype(np.float64), np.ones(height), mode="valid")))
    return prepared[top: top + height]


def _trial_confidence(strip: np.ndarray, *, languages: str) -> float | None:
    """Mean confidence of the strip's words of two letters or digits; None for too few."""
    reading = tesseract.recognise(strip, languages=languages, psm=6)
    words = [w.confidence for w in reading.words if sum(c.isalnum() for c in w.text) >= 2]
    return sum(words) / len(words) if len(words) >= _MIN_TRIAL_WORDS else None
