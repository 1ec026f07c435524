"""OCR of one scanned page of a project (seed 003): one chunk of a page_ocr or page_batch job.

The page's row gets the outcome (text, mean confidence, words with boxes, hOCR) or the
error; the chunk result carries the summary the task status shows.
"""

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.exc import OperationalError

from services.workers.ocr import imaging, tesseract
from services.workers.ocr.hocr import to_hocr
from services.workers.ocr.rasterise import render_pdf_page
from shared import storage
from shared.db import session_scope, utcnow
from shared.errors import ConveyorError, ErrorCode, TransientError
from shared.image_decode import load_image
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput, ChunkStopped
from shared.pages import repository as pages
from shared.pages.models import PageStatus
from shared.settings import get_settings

# Pages are laid out freely (columns, headings): Tesseract's automatic segmentation.
PAGE_PSM = 3
PDF_DPI = 300


def process_page(context: ChunkContext) -> ChunkOutput:
    page_id, page_number = context.spec["page_id"], context.spec["page_number"]
    _record(context, {"ocr_status": PageStatus.PROCESSING.value})
    try:
        image = _load(context.spec)
        context.report(0, force=True)  # a heartbeat, and a cancel check before Tesseract
        prepared = imaging.preprocess_for_ocr(image)
        ocr = tesseract.recognise(prepared, psm=PAGE_PSM)
    except (ChunkStopped, TransientError, OperationalError):
        raise  # stopped, or retried by the chunk runner: the page is not failed
    except ConveyorError as exc:
        _record(context, _failure(exc.code.name, exc.message))
        raise
    except Exception:
        _record(context, _failure(ErrorCode.INTERNAL.name, "internal error reading the page"))
        raise
    height, width = prepared.shape[:2]
    hocr = to_hocr(ocr, width=width, height=height, title=f"page {page_number}")
    _record(context, {**_success(ocr, hocr=hocr), "ocr_width": width, "ocr_height": height})
    return ChunkOutput(result={"items": [{
        "page_id": page_id, "page_number": page_number, "status": "completed",
        "text": ocr.text, "mean_confidence": round(ocr.mean_confidence, 1),
        "word_count": len(ocr.words)}]}, metrics={"ocr_words": len(ocr.words)})


def _load(spec: dict[str, Any]) -> np.ndarray:
    path: Path = storage.absolute(spec["source_path"])
    max_pixels = get_settings().max_image_pixels
    if spec.get("pdf_page_index") is None:
        return load_image(path, max_pixels=max_pixels)
    return render_pdf_page(path, page_index=spec["pdf_page_index"], dpi=PDF_DPI,
                           max_pixels=max_pixels)


def _success(ocr: tesseract.OcrResult, *, hocr: str) -> dict[str, Any]:
    return {"ocr_status": PageStatus.COMPLETED.value, "ocr_text": ocr.text,
            "ocr_confidence": round(ocr.mean_confidence, 2), "word_count": len(ocr.words),
            "ocr_words": ocr.to_dict()["words"], "ocr_hocr": hocr, "ocr_error": None,
            "ocr_error_type": None, "ocr_finished_at": utcnow()}


def _failure(error_type: str, message: str) -> dict[str, Any]:
    return {"ocr_status": PageStatus.FAILED.value, "ocr_error": message,
            "ocr_error_type": error_type, "ocr_finished_at": utcnow()}


def _record(context: ChunkContext, values: dict[str, Any]) -> None:
    with session_scope() as session:
        pages.save_result(session, page_id=context.spec["page_id"], job_id=context.job_id,
                          values=values)
