"""The receipt pipeline of seed 002, step by step, each step logged as it begins.

load (EXIF-oriented, pixel-limited) -> preprocess -> Tesseract -> quality check ->
analysis into fields -> data validation (warnings, never corrections) -> save.
"""

from datetime import date
from typing import Any

import cv2
import numpy as np
from sqlalchemy.orm import Session

from services.workers.ocr.receipt_analysis import analyse_receipt
from services.workers.ocr.receipt_validation import check_receipt
from shared import storage
from shared.errors import ConveyorError, ErrorCode
from shared.image_decode import load_image
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput
from shared.ocr import imaging, tesseract
from shared.receipts import steps
from shared.receipts.repository import save_receipt
from shared.settings import get_settings

# Page segmentation mode 6 (one uniform block of text): mode 4 (a single column) dropped
# the right-hand column of tax letters ("A", "B") of Polish receipts in our tests.
TESSERACT_PSM = 6
# A reading this good is upright: generated receipt photos read at 89-92 mean confidence
# upright, 44-62 upside down or sideways.
_GOOD_CONFIDENCE = 75.0


def process_receipt(context: ChunkContext) -> ChunkOutput:
    # Steps that take milliseconds are deferred: written with the next one (OCR, which
    # takes most of the time, or the settle), one commit instead of one each.
    context.step(steps.INITIALISATION.code, steps.INITIALISATION.progress, defer=True)
    if not context.input_path:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the job has no stored receipt image")
    context.step(steps.VALIDATION.code, steps.VALIDATION.progress, defer=True)
    image = load_image(storage.absolute(context.input_path),
                       max_pixels=get_settings().max_image_pixels)
    context.step(steps.OCR.code, steps.OCR.progress)
    ocr = _read(image)
    context.step(steps.OCR_QUALITY.code, steps.OCR_QUALITY.progress, defer=True)
    tesseract.readable_text_check(ocr)
    context.step(steps.ANALYSIS.code, steps.ANALYSIS.progress, defer=True)
    data = analyse_receipt(ocr.text, line_confidences=ocr.line_confidences)
    context.step(steps.DATA_VALIDATION.code, steps.DATA_VALIDATION.progress, defer=True)
    warnings = check_receipt(data, today=date.today())
    context.step(steps.SAVE.code, steps.SAVE.progress, defer=True)

    def store(session: Session) -> dict[str, Any]:
        # With the job's completion, so a receipt cancelled (and refunded) meanwhile is
        # never stored.
        receipt = save_receipt(session, job_id=context.job_id, user_id=context.user_id,
                               data=data, warnings=warnings, ocr_confidence=ocr.mean_confidence)
        return {"items": [_document(receipt.id, data=data, warnings=warnings, ocr=ocr)]}

    return ChunkOutput(store=store, metrics={"ocr_words": len(ocr.words)})


def read_receipt(image: np.ndarray) -> dict[str, Any]:
    """The fields of a decoded receipt image, as `analyse_receipt` gives them."""
    ocr = _read(image)
    return analyse_receipt(ocr.text, line_confidences=ocr.line_confidences)


def _read(image: np.ndarray) -> tesseract.OcrResult:
    """OCR the receipt, upright. A poor first reading may be a photo taken upside down or
    sideways without an EXIF tag: then the page is read turned as well (180 degrees, and
    90/270 when it is wider than tall) and the most confident reading is kept. Tesseract's
    own orientation detection (OSD) was tried first and found the turn on 1 of 12 turned
    receipt photos, at 2-4 s each."""
    prepared = imaging.preprocess_for_ocr(image)
    best = tesseract.recognise(prepared, psm=TESSERACT_PSM)
    if best.mean_confidence >= _GOOD_CONFIDENCE:
        return best
    height, width = prepared.shape[:2]
    # Receipts are taller than wide: a wide one was most likely photographed sideways.
    turns = ([cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_180]
             if width > height else [cv2.ROTATE_180])
    for turn in turns:
        reading = tesseract.recognise(cv2.rotate(prepared, turn), psm=TESSERACT_PSM)
        if reading.mean_confidence > best.mean_confidence:
            best = reading
        if best.mean_confidence >= _GOOD_CONFIDENCE:
            break
    return best


def _document(receipt_id: int, *, data: dict[str, Any], warnings: list[dict[str, str]],
              ocr: tesseract.OcrResult) -> dict[str, Any]:
    return {"receipt_id": receipt_id, **data, "warnings": warnings,
            "ocr": {"mean_confidence": round(ocr.mean_confidence, 1),
                    "word_count": len(ocr.words), "text": ocr.text}}
