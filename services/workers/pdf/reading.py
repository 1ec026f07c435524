"""Reading a chunk's pages: the text layer (by the job's text engine), or OCR where the
page is a scan.

What was read from each page the chunk owns goes into a `PageReport`, which becomes the
chunk's metrics (the job concatenates them in chunk order) or, when a chunk found no
text at all, its failure message.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.workers.pdf.engines import PAGE_READ_ERRORS, TextDocument
from services.workers.pdf.ocr_pages import ScannedPage, read_scanned_page
from services.workers.pdf.page_kinds import (
    OcrMode,
    PageKind,
    classify_page,
    needs_ocr,
)
from shared.errors import ConveyorError, ErrorCode
from shared.page_ranges import describe_pages
from shared.pdf_job import OcrPageNote, PageNotes

_PAGE_FAULTS = (ErrorCode.INPUT_INVALID, ErrorCode.PROCESSING_FAILED)


@dataclass(frozen=True, kw_only=True)
class PageRead:
    number: int  # 1-based
    text: str
    kind: PageKind
    ocr: ScannedPage | None = None  # set when the page was read by OCR


@dataclass(kw_only=True)
class PageReport:
    """What the pages a chunk owns gave, for the job's result."""

    ocr_pages: list[OcrPageNote] = field(default_factory=list)
    empty_pages: list[int] = field(default_factory=list)
    # Scans left unread because the job asked for ocr=never.
    unread_scanned_pages: list[int] = field(default_factory=list)
    text_found: bool = False

    def add(self, page: PageRead, mode: OcrMode) -> None:
        self.text_found = self.text_found or bool(page.text.strip())
        if page.kind is PageKind.EMPTY and not page.text.strip():
            self.empty_pages.append(page.number)  # also when OCR (always) read nothing
        elif page.ocr is not None:
            self.ocr_pages.append(OcrPageNote(
                page=page.number, mean_confidence=round(page.ocr.mean_confidence, 1),
                word_count=page.ocr.word_count, turned_degrees=page.ocr.turned_degrees))
        elif page.kind is PageKind.SCANNED and mode is OcrMode.NEVER:
            self.unread_scanned_pages.append(page.number)

    def metrics(self) -> dict[str, Any]:
        return PageNotes(ocr_pages=self.ocr_pages, empty_pages=self.empty_pages,
                         unread_scanned_pages=self.unread_scanned_pages).model_dump()

    def nothing_found(self, *, first_page: int, last_page: int) -> str:
        """The message for a chunk whose pages gave no text at all."""
        pages = (f"page {first_page}" if first_page == last_page
                 else f"pages {first_page}-{last_page}")
        reasons = []
        if self.empty_pages:
            reasons.append(f"{describe_pages(self.empty_pages)} neither text nor images")
        if self.ocr_pages:  # no text found: OCR read no word on any of them
            scans = [note.page for note in self.ocr_pages]
            reasons.append(f"OCR found no words on {describe_pages(scans, verb=False)}")
        return f"No text found on {pages}: " + "; ".join(reasons) + "."


def read_page(document: TextDocument, path: Path, number: int, *, mode: OcrMode,
              owned: bool) -> PageRead:
    """Page `number`. A page that is damaged (or that Tesseract refuses) fails the chunk
    that owns it and reads as blank for a neighbour that reads it only as overlap."""
    try:
        return _cached_page(document, path, number, mode)
    except ConveyorError as exc:
        if owned or exc.code not in _PAGE_FAULTS:
            raise  # also Tesseract missing or too slow: not this page's fault
    except PAGE_READ_ERRORS as exc:
        if owned:
            raise ConveyorError(ErrorCode.INPUT_INVALID,
                                f"page {number} is damaged and cannot be read: {exc}") from exc
    return PageRead(number=number, text="", kind=PageKind.EMPTY)


# A page read as overlap by one chunk is read again by its neighbour; when both land on
# the same worker process (the usual case) the second read is free, which matters most
# for an OCR'd page (about a second). Keyed by the document, which the caller keeps per
# file and engine, so a replaced file never serves stale text, nor one engine's text for
# the other's. Tesseract reads the same rendering the same way, so two workers reading
# one overlap page agree on its text too.
_PAGE_CACHE_SIZE = 64


@lru_cache(maxsize=_PAGE_CACHE_SIZE)
def _cached_page(document: TextDocument, path: Path, number: int, mode: OcrMode) -> PageRead:
    index = number - 1
    text = document.page_text(index)
    kind = classify_page(text, find_images=lambda: document.draws_images(index))
    if not needs_ocr(kind, mode):
        return PageRead(number=number, text=text, kind=kind)
    scanned = read_scanned_page(path, index)
    return PageRead(number=number, text=scanned.text, kind=kind, ocr=scanned)
