"""What a PDF job's result says about its pages: read by OCR, empty, or scans left unread."""

from typing import Any

from shared.jobs.contract import JobView
from shared.page_ranges import describe_pages
from shared.pdf_job import OcrPageNote, PageNotes, PdfOptions

# Below this mean word confidence an OCR'd page's text is worth checking by eye.
LOW_CONFIDENCE = 60.0


def page_notes(job: JobView) -> dict[str, Any]:
    """How the pages were read (the job's `ocr` and `text_engine`), the page lists the PDF
    worker's chunks reported (the job service concatenates them in page order), and
    warnings a person can read."""
    notes = PageNotes.model_validate(job.metrics)
    options = job.params_as(PdfOptions)
    return {"ocr": options.ocr, "text_engine": options.text_engine,
            "ocr_pages": [note.model_dump() for note in notes.ocr_pages],
            "empty_pages": notes.empty_pages, "unread_scanned_pages": notes.unread_scanned_pages,
            "warnings": _warnings(notes.ocr_pages, notes.empty_pages,
                                  notes.unread_scanned_pages)}


def _warnings(ocr_pages: list[OcrPageNote], empty_pages: list[int],
              unread: list[int]) -> list[str]:
    warnings = []
    if empty_pages:
        warnings.append(f"{describe_pages(empty_pages)} neither text nor images.")
    if unread:
        was = "was" if len(unread) == 1 else "were"
        warnings.append(f"{describe_pages(unread)} scanned images without a text layer and "
                        f"{was} not read (ocr=never); send ocr=auto to read them.")
    blank = [note.page for note in ocr_pages if not note.word_count]
    if blank:
        warnings.append(f"OCR found no words on {describe_pages(blank, verb=False)}.")
    faint = [note.page for note in ocr_pages
             if note.word_count and note.mean_confidence < LOW_CONFIDENCE]
    if faint:
        warnings.append(f"OCR read {describe_pages(faint, verb=False)} with low confidence "
                        f"(below {LOW_CONFIDENCE:g}); check the text.")
    return warnings


