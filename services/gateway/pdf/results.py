"""What a PDF job's result says about its pages: read by OCR, empty, or scans left unread."""

from typing import Any

from shared.jobs.contract import JobView
from shared.page_ranges import describe_pages

# Below this mean word confidence an OCR'd page's text is worth checking by eye.
LOW_CONFIDENCE = 60.0


def page_notes(job: JobView) -> dict[str, Any]:
    """The page lists the PDF worker's chunks reported (the job service concatenates them
    in page order), and warnings a person can read."""
    metrics = job.metrics
    ocr_pages: list[dict[str, Any]] = metrics.get("ocr_pages", [])
    empty_pages: list[int] = metrics.get("empty_pages", [])
    unread: list[int] = metrics.get("unread_scanned_pages", [])
    return {"ocr": job.params.get("ocr", "auto"), "ocr_pages": ocr_pages,
            "empty_pages": empty_pages, "unread_scanned_pages": unread,
            "warnings": _warnings(ocr_pages, empty_pages, unread)}


def _warnings(ocr_pages: list[dict[str, Any]], empty_pages: list[int],
              unread: list[int]) -> list[str]:
    warnings = []
    if empty_pages:
        warnings.append(f"{describe_pages(empty_pages)} neither text nor images.")
    if unread:
        was = "was" if len(unread) == 1 else "were"
        warnings.append(f"{describe_pages(unread)} scanned images without a text layer and "
                        f"{was} not read (ocr=never); send ocr=auto to read them.")
    blank = [entry["page"] for entry in ocr_pages if not entry["word_count"]]
    if blank:
        warnings.append(f"OCR found no words on {describe_pages(blank, verb=False)}.")
    faint = [entry["page"] for entry in ocr_pages
             if entry["word_count"] and entry["mean_confidence"] < LOW_CONFIDENCE]
    if faint:
        warnings.append(f"OCR read {describe_pages(faint, verb=False)} with low confidence "
                        f"(below {LOW_CONFIDENCE:g}); check the text.")
    return warnings


