"""The page notes of a PDF job's status document: lists as the worker reported them,
and warnings in words."""

from services.gateway.pdf.results import page_notes
from shared.jobs.contract import JobView


def _job(metrics: dict, params: dict | None = None) -> JobView:
    # Only what the notes read; the rest of a view plays no part.
    return JobView.model_construct(metrics=metrics, params=params or {})


def test_a_job_without_page_notes_reports_empty_lists() -> None:
    # Jobs finished before OCR existed, and PDFs whose pages all have a text layer.
    assert page_notes(_job({"pages": 3})) == {
        "ocr": "auto", "text_engine": "pypdf", "ocr_pages": [], "empty_pages": [],
        "unread_scanned_pages": [], "warnings": []}


def test_the_engine_that_read_the_text_layers() -> None:
    # Jobs started before the option existed were read by pypdf.
    assert page_notes(_job({}, {"ocr": "auto"}))["text_engine"] == "pypdf"
    assert page_notes(_job({}, {"text_engine": "pdfium"}))["text_engine"] == "pdfium"


def test_warnings_name_the_pages() -> None:
    notes = page_notes(_job({
        "ocr_pages": [{"page": 2, "mean_confidence": 91.0, "word_count": 120},
                      {"page": 3, "mean_confidence": 0.0, "word_count": 0},
                      {"page": 4, "mean_confidence": 41.5, "word_count": 12}],
        "empty_pages": [5, 6, 9]}))
    assert notes["warnings"] == [
        "pages 5-6, 9 have neither text nor images.",
        "OCR found no words on page 3.",
        "OCR read page 4 with low confidence (below 60); check the text."]


def test_never_says_which_scans_were_not_read() -> None:
    notes = page_notes(_job({"unread_scanned_pages": [7]}, {"ocr": "never"}))
    assert notes["ocr"] == "never"
    assert notes["warnings"] == ["page 7 has scanned images without a text layer and was not "
                                 "read (ocr=never); send ocr=auto to read them."]
