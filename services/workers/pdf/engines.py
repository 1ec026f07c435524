"""The text engines, one interface: pypdf (the design's choice, the default) and PDFium
(pypdfium2, about ten times faster on books).

Everything after them (page kinds and OCR, cleanup, hyphenation, sentences, chunk
overlap) is the same code whichever engine read the text layer, so two jobs' sentences
differ only where the engines' texts do. PDFium's text is brought to pypdf's
conventions here and nowhere later:

- its lines end in "\\r\\n"; pypdf's in "\\n";
- it joins a word hyphenated at a line end and marks the hyphen ("exam\\ufffeple", or
  "\\x02" from its bounded-text call), where pypdf gives "exam-\\nple". Whether that hyphen
  stays is cleanup's decision (`fix_hyphenation`), so the marker becomes "-\\n" again.

Ligature glyphs need nothing: PDFium spells them out, and cleanup spells out pypdf's.
"""

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from services.workers.pdf.page_kinds import MAX_FORM_DEPTH, draws_images
from shared.pdf import PDF_READ_ERRORS, open_pdf
from shared.pdfium import PDFIUM_LOCK, open_pdfium

# What reading a damaged page raises, whichever engine reads it.
PAGE_READ_ERRORS = (*PDF_READ_ERRORS, pdfium.PdfiumError)
# Its two hyphen markers; each may be followed by the line end it stands for.
_PDFIUM_HYPHENS = ("\ufffe", "\x02")


class TextEngine(StrEnum):
    PYPDF = "pypdf"
    PDFIUM = "pdfium"

    @classmethod
    def of(cls, params: dict[str, Any]) -> "TextEngine":
        """The job's engine; jobs started before the option existed were read by pypdf."""
        return cls(params.get("text_engine") or cls.PYPDF)


class TextDocument(Hashable, Protocol):
    """An opened PDF as the PDF worker reads it; pages by 0-based index. Hashed by
    identity: the page cache is keyed by the document."""

    @property
    def page_count(self) -> int: ...

    def page_text(self, index: int) -> str:
        """The page's text layer, lines ending in "\\n"; "" when it has none."""
        ...

    def draws_images(self, index: int) -> bool:
        """Whether the page's content paints an image (directly, inline or inside forms)."""
        ...


def open_document(path: Path, engine: TextEngine) -> TextDocument:
    """The PDF at `path` opened by `engine`; a damaged or protected file is a ConveyorError."""
    return PdfiumDocument(path) if engine is TextEngine.PDFIUM else PypdfDocument(path)


class PypdfDocument:
    def __init__(self, path: Path) -> None:
        self._reader = open_pdf(path)

    @property
    def page_count(self) -> int:
        return len(self._reader.pages)

    def page_text(self, index: int) -> str:
        return self._reader.pages[index].extract_text() or ""

    def draws_images(self, index: int) -> bool:
        """Content pypdf cannot parse counts as an image: the renderer gets to look at it,
        and the text layer, whatever it holds, is not lost for that."""
        try:
            return draws_images(self._reader.pages[index])
        except PDF_READ_ERRORS:
            return True


class PdfiumDocument:
    """PDFium's document stays open as long as this object lives (the worker keeps it for
    a job's next chunks); each page and text page is closed as soon as it is read."""

    def __init__(self, path: Path) -> None:
        with PDFIUM_LOCK:
            self._document = open_pdfium(path)

    @property
    def page_count(self) -> int:
        with PDFIUM_LOCK:
            return len(self._document)

    def page_text(self, index: int) -> str:
        with PDFIUM_LOCK, self._page(index) as page:
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
            finally:
                textpage.close()
        return as_pypdf_text(raw)

    def draws_images(self, index: int) -> bool:
        # Images only listed in the resources are no page objects, as for pypdf's check;
        # pypdfium2 enters forms while level < max_depth - 1: as deep as pypdf's check.
        with PDFIUM_LOCK, self._page(index) as page:
            images = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE],
                                      max_depth=MAX_FORM_DEPTH + 1)
            return next(images, None) is not None

    @contextmanager
    def _page(self, index: int) -> Iterator[pdfium.PdfPage]:
        page = self._document[index]
        try:
            yield page
        finally:
            page.close()


def as_pypdf_text(raw: str) -> str:
    """PDFium's page text with pypdf's line ends and line-end hyphens (see the module)."""
    # str.replace and `in` run at memory speed: a regex doing the same took 3% of the time
    # PDFium takes to read a page of a book, about three times as long as this.
    text = raw.replace("\r\n", "\n")
    for marker in _PDFIUM_HYPHENS:
        if marker in text:
            text = text.replace(marker + "\n", "-\n").replace(marker, "-\n")
    return text
