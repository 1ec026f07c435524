"""One page read the right way up: prepared, read, and read again turned when it came out
poor because it was upside down. The one entry point for reading a page image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from shared.ocr import imaging, orientation, tesseract

# A reading at least this confident is taken as upright without a trial: real receipts
# read upright at 63-91, generated receipt photos upside down at 44-62.
GOOD_CONFIDENCE = 70.0


@dataclass(frozen=True, kw_only=True)
class UprightReading:
    ocr: tesseract.OcrResult
    image: np.ndarray  # the prepared page as read: the words' boxes are in its coordinates
    turned_degrees: int  # clockwise, on top of any EXIF orientation: 0, 90, 180 or 270


def read_upright(image: np.ndarray, *, psm: int, languages: str = "pol+eng",
                 between_reads: Callable[[], None] | None = None) -> UprightReading:
    """`between_reads` is called after each Tesseract run but the last: a page read upside
    down takes three runs, and a chunk must heartbeat (and notice a cancel) meanwhile."""
    pause = between_reads or (lambda: None)
    prepared = imaging.prepare(image)
    ocr = tesseract.recognise(prepared.image, psm=psm, languages=languages)
    if ocr.mean_confidence >= GOOD_CONFIDENCE:
        return UprightReading(ocr=ocr, image=prepared.image,
                              turned_degrees=prepared.turned_degrees)
    pause()
    if not orientation.looks_upside_down(prepared.image, languages=languages,
                                         between_reads=pause):
        return UprightReading(ocr=ocr, image=prepared.image,
                              turned_degrees=prepared.turned_degrees)
    pause()
    turned = cv2.rotate(prepared.image, cv2.ROTATE_180)
    return UprightReading(ocr=tesseract.recognise(turned, psm=psm, languages=languages),
                          image=turned, turned_degrees=(prepared.turned_degrees + 180) % 360)
