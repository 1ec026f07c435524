"""OCR of one scanned page of a project (seed 003): one chunk of a page_ocr or page_batch job.

The page's row gets the outcome (text, mean confidence, words with boxes, hOCR) or the
error, in the transaction that settles the chunk: a page is `completed` exactly when its
chunk completed (and was charged), and a job cancelled meanwhile writes nothing. A failure
keeps the page's earlier result; the chunk result carries the summary the task status shows.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from services.workers.ocr.hocr import to_hocr
from shared import storage
from shared.db import session_scope, utcnow
from shared.image_decode import load_image
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput
from shared.ocr import tesseract
from shared.ocr.rasterise import render_pdf_page
from shared.ocr.reading import read_upright
from shared.pages import repository as pages
from shared.pages.params import PageReadItem
from shared.settings import get_settings

# Pages are laid out freely (columns, headings): Tesseract's automatic segmentation.
PAGE_PSM = 3
PDF_DPI = 300


def process_page(context: ChunkContext) -> ChunkOutput:
    page_id, page_number = context.spec["page_id"], context.spec["page_number"]
    _mark_processing(context)
    context.on_failure = _failure_recorder(page_id=page_id, job_id=context.job_id)
    image = _load(context.spec)
    # A heartbeat, and a cancel check before Tesseract. The chunk reports 0 units done
    # until it completes: a cancel charges the pages read, not the one in hand.
    context.report(0, force=True)
    reading = read_upright(image, psm=PAGE_PSM, between_reads=lambda: context.report(0))
    ocr = reading.ocr
    height, width = reading.image.shape[:2]
    hocr = to_hocr(ocr, width=width, height=height, title=f"page {page_number}")
    read = {**_success(ocr, hocr=hocr), "ocr_width": width, "ocr_height": height,
            "ocr_turned_degrees": reading.turned_degrees}
    item = PageReadItem(page_id=page_id, page_number=page_number, text=ocr.text,
                        mean_confidence=round(ocr.mean_confidence, 1),
                        word_count=len(ocr.words), turned_degrees=reading.turned_degrees)

    def store(session: Session) -> dict[str, Any]:
        pages.save_read(session, page_id=page_id, job_id=context.job_id, values=read)
        return {"items": [item.model_dump()]}

    return ChunkOutput(store=store, metrics={"ocr_words": len(ocr.words)})


def _load(spec: dict[str, Any]) -> np.ndarray:
    path = storage.local_file(spec["source_path"])
    max_pixels = get_settings().max_image_pixels
    if spec.get("pdf_page_index") is None:
        return load_image(path, max_pixels=max_pixels)
    return render_pdf_page(path, page_index=spec["pdf_page_index"], dpi=PDF_DPI,
                           max_pixels=max_pixels)


def _success(ocr: tesseract.OcrResult, *, hocr: str) -> dict[str, Any]:
    return {"ocr_text": ocr.text, "ocr_confidence": round(ocr.mean_confidence, 2),
            "word_count": len(ocr.words), "ocr_words": ocr.to_dict()["words"],
            "ocr_hocr": hocr, "ocr_finished_at": utcnow()}


def _failure_recorder(*, page_id: int, job_id: int
                      ) -> Callable[[Session, str, str], None]:
    def record(session: Session, error_type: str, error: str) -> None:
        pages.save_failure(session, page_id=page_id, job_id=job_id, error_type=error_type,
                           error=error)

    return record


def _mark_processing(context: ChunkContext) -> None:
    with session_scope() as session:
        pages.mark_processing(session, page_id=context.spec["page_id"], job_id=context.job_id)
