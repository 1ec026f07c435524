"""The receipt pipeline of seed 002, step by step, each step reported as it starts.

load (EXIF-oriented, pixel-limited) -> preprocess -> Tesseract -> quality check ->
analysis into fields -> data validation (warnings, never corrections) -> save.
"""

from datetime import date
from typing import Any

from services.workers.ocr import imaging, tesseract
from services.workers.ocr.receipt_analysis import analyse_receipt
from services.workers.ocr.receipt_validation import check_receipt
from shared import storage
from shared.db import session_scope
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput
from shared.receipts import steps
from shared.receipts.repository import save_receipt
from shared.settings import get_settings

# Page segmentation mode 6 (one uniform block of text): mode 4 (a single column) dropped
# the right-hand column of tax letters ("A", "B") of Polish receipts in our tests.
TESSERACT_PSM = 6


def process_receipt(context: ChunkContext) -> ChunkOutput:
    context.step(steps.INITIALISATION.code, steps.INITIALISATION.progress)
    if not context.input_path:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the job has no stored receipt image")
    context.step(steps.VALIDATION.code, steps.VALIDATION.progress)
    image = imaging.load_image(storage.absolute(context.input_path),
                               max_pixels=get_settings().max_image_pixels)
    context.step(steps.OCR.code, steps.OCR.progress)
    ocr = tesseract.recognise(imaging.preprocess_for_ocr(image), psm=TESSERACT_PSM)
    context.step(steps.OCR_QUALITY.code, steps.OCR_QUALITY.progress)
    tesseract.readable_text_check(ocr)
    context.step(steps.ANALYSIS.code, steps.ANALYSIS.progress)
    data = analyse_receipt(ocr.text)
    context.step(steps.DATA_VALIDATION.code, steps.DATA_VALIDATION.progress)
    warnings = check_receipt(data, today=date.today())
    context.step(steps.SAVE.code, steps.SAVE.progress)
    receipt_id = _save(context, data=data, warnings=warnings, confidence=ocr.mean_confidence)
    document = _document(receipt_id, data=data, warnings=warnings, ocr=ocr)
    return ChunkOutput(result={"items": [document]},
                       metrics={"ocr_words": len(ocr.words)})


def _save(context: ChunkContext, *, data: dict[str, Any], warnings: list[dict[str, str]],
          confidence: float) -> int:
    with session_scope() as session:
        receipt = save_receipt(session, job_id=context.job_id, user_id=context.user_id,
                               data=data, warnings=warnings, ocr_confidence=confidence)
        return receipt.id


def _document(receipt_id: int, *, data: dict[str, Any], warnings: list[dict[str, str]],
              ocr: tesseract.OcrResult) -> dict[str, Any]:
    return {"receipt_id": receipt_id, **data, "warnings": warnings,
            "ocr": {"mean_confidence": round(ocr.mean_confidence, 1),
                    "word_count": len(ocr.words), "text": ocr.text}}
