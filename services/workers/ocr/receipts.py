"""The receipt pipeline of seed 002, step by step, each step logged as it begins.

load (EXIF-oriented, pixel-limited) -> preprocess -> Tesseract -> quality check ->
analysis into fields -> data validation (warnings, never corrections) -> save.
"""

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from services.workers.ocr.receipt_analysis import analyse_receipt
from services.workers.ocr.receipt_validation import check_receipt
from shared import storage
from shared.errors import ConveyorError, ErrorCode
from shared.image_decode import load_image
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput
from shared.ocr import tesseract
from shared.ocr.layout import reread_line, with_unread_lines
from shared.ocr.reading import UprightReading, read_upright
from shared.receipts import steps
from shared.receipts.repository import save_receipt
from shared.settings import get_settings

# Page segmentation mode 6 (one uniform block of text): mode 4 (a single column) dropped
# the right-hand column of tax letters ("A", "B") of Polish receipts in our tests.
TESSERACT_PSM = 6


def process_receipt(context: ChunkContext) -> ChunkOutput:
    # Steps that take milliseconds are deferred: written with the next one (OCR, which
    # takes most of the time, or the settle), one commit instead of one each.
    context.step(steps.INITIALISATION.code, steps.INITIALISATION.progress, defer=True)
    if not context.input_path:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the job has no stored receipt image")
    context.step(steps.VALIDATION.code, steps.VALIDATION.progress, defer=True)
    image = load_image(storage.local_file(context.input_path),
                       max_pixels=get_settings().max_image_pixels)
    context.step(steps.OCR.code, steps.OCR.progress)
    # Every Tesseract run but the first comes after a heartbeat (written when one is
    # due): a large receipt takes a dozen, seconds each on a busy machine.
    reading = _read(image, between_reads=lambda: context.report(0))
    ocr = reading.ocr
    context.step(steps.OCR_QUALITY.code, steps.OCR_QUALITY.progress, defer=True)
    tesseract.readable_text_check(ocr)
    context.step(steps.ANALYSIS.code, steps.ANALYSIS.progress, defer=True)
    data = _analyse(reading, between_reads=lambda: context.report(0))
    context.step(steps.DATA_VALIDATION.code, steps.DATA_VALIDATION.progress, defer=True)
    warnings = check_receipt(data, today=date.today())
    context.step(steps.SAVE.code, steps.SAVE.progress, defer=True)

    def store(session: Session) -> dict[str, Any]:
        # With the job's completion, so a receipt cancelled (and refunded) meanwhile is
        # never stored.
        receipt = save_receipt(session, job_id=context.job_id, user_id=context.user_id,
                               data=data, warnings=warnings, ocr_confidence=ocr.mean_confidence)
        return {"items": [_document(receipt.id, data=data, warnings=warnings,
                                    reading=reading)]}

    return ChunkOutput(store=store, metrics={"ocr_words": len(ocr.words)})


def read_receipt(image: np.ndarray, *, between_reads: Callable[[], None] | None = None
                 ) -> dict[str, Any]:
    """The fields of a decoded receipt image, as `process_receipt` stores them;
    `between_reads` is called between two Tesseract runs (a chunk's heartbeat)."""
    reading = _read(image, between_reads=between_reads)
    return _analyse(reading, between_reads=between_reads)


def _read(image: np.ndarray, *, between_reads: Callable[[], None] | None = None
          ) -> UprightReading:
    """Read upright, then the lines psm 6 left out (a total in double-height type)."""
    reading = read_upright(image, psm=TESSERACT_PSM, between_reads=between_reads)
    ocr = with_unread_lines(reading.image, reading.ocr, languages=reading.ocr.languages,
                            between_reads=between_reads)
    return replace(reading, ocr=ocr)


def _analyse(reading: UprightReading, *, between_reads: Callable[[], None] | None = None
             ) -> dict[str, Any]:
    lines = tesseract.lines_of(reading.ocr)
    pause = between_reads or (lambda: None)

    def reread(index: int) -> Iterator[str]:
        pause()
        for text in reread_line(reading.image, lines[index], languages=reading.ocr.languages):
            yield text
            pause()

    return analyse_receipt(reading.ocr.text, line_confidences=reading.ocr.line_confidences,
                           reread=reread)


def _document(receipt_id: int, *, data: dict[str, Any], warnings: list[dict[str, str]],
              reading: UprightReading) -> dict[str, Any]:
    ocr = reading.ocr
    return {"receipt_id": receipt_id, **data, "warnings": warnings,
            "ocr": {"mean_confidence": round(ocr.mean_confidence, 1),
                    "word_count": len(ocr.words), "text": ocr.text,
                    "turned_degrees": reading.turned_degrees}}
