"""Which pages of a PDF are read by OCR: a usable text layer, a scan, or nothing at all."""

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from pypdf import PageObject
from pypdf.generic import ContentStream, DictionaryObject

# Fewer letters than this (about half a line) is no usable text layer when the page has
# images: a scan's only text is then a page number, a stamp or a scanner's watermark
# ("Scanned with CamScanner" has 20). A text page with a figure has its caption and more.
MIN_LETTERS = 32
# Form XObjects nest; a scan is drawn at most a few forms deep, and a cycle must end.
MAX_FORM_DEPTH = 8
_XOBJECT = "/XObject"


class OcrMode(StrEnum):
    AUTO = "auto"  # OCR the pages without a usable text layer
    ALWAYS = "always"  # OCR every page, also those with a text layer
    NEVER = "never"  # the text layer only

    @classmethod
    def of(cls, params: dict[str, Any]) -> "OcrMode":
        """The job's mode; jobs started before the option existed read as AUTO."""
        return cls(params.get("ocr") or cls.AUTO)


class PageKind(StrEnum):
    TEXT = "text"  # a usable text layer: the text engine's text is kept exactly
    SCANNED = "scanned"  # images and (almost) no letters: a scan
    EMPTY = "empty"  # neither text nor images


def has_letters(text: str, at_least: int = MIN_LETTERS) -> bool:
    """Whether `text` holds `at_least` letters. Stops at the last one needed: counting a
    whole page's letters took longer than PDFium takes to read the page."""
    for char in text:
        if char.isalpha():
            at_least -= 1
            if at_least <= 0:
                return True
    return at_least <= 0


def kind_of(text: str, *, has_images: bool) -> PageKind:
    """Classify a page by its extracted text and whether it draws images.

    A short text without images ("12", "Chapter One") is still the page's text layer;
    OCR could only read the same words back.
    """
    if has_letters(text):
        return PageKind.TEXT
    if has_images:
        return PageKind.SCANNED
    return PageKind.TEXT if text.strip() else PageKind.EMPTY


def classify_page(text: str, *, find_images: Callable[[], bool]) -> PageKind:
    """`kind_of` for a page whose text layer is `text`; `find_images` (which parses the
    page's content) is asked only when the text is short."""
    if has_letters(text):
        return PageKind.TEXT
    return kind_of(text, has_images=find_images())


def needs_ocr(kind: PageKind, mode: OcrMode) -> bool:
    # ALWAYS also reads a page with neither text nor images: its text may be drawn as
    # vector outlines, which only the rendered page shows.
    return mode is OcrMode.ALWAYS or (mode is OcrMode.AUTO and kind is PageKind.SCANNED)


def draws_images(page: PageObject) -> bool:
    """Whether a pypdf page's content draws an image: an inline image, or an image XObject
    painted directly or inside a form. Images only listed in the resources do not count
    (generators often share one resource dictionary between all pages)."""
    contents = page.get_contents()
    if contents is None:
        return False
    return _paints_image(contents.operations, _xobjects(page), page=page, depth=0)


def _paints_image(operations: Iterable[tuple[Any, bytes]], xobjects: DictionaryObject, *,
                  page: PageObject, depth: int) -> bool:
    for operands, operator in operations:
        if operator == b"INLINE IMAGE":
            return True
        if operator != b"Do" or not operands or operands[0] not in xobjects:
            continue
        target = xobjects[operands[0]].get_object()
        if not isinstance(target, DictionaryObject):  # a stream is a dictionary too
            continue
        subtype = target.get("/Subtype")
        if subtype == "/Image":
            return True
        if subtype == "/Form" and depth < MAX_FORM_DEPTH:
            # A form without resources of its own uses its parent's.
            inner = _xobjects(target) or xobjects
            form = ContentStream(target, page.pdf)
            if _paints_image(form.operations, inner, page=page, depth=depth + 1):
                return True
    return False


def _xobjects(owner: DictionaryObject) -> DictionaryObject:
    resources = owner.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject) or _XOBJECT not in resources:
        return DictionaryObject()
    found = resources[_XOBJECT].get_object()
    return found if isinstance(found, DictionaryObject) else DictionaryObject()
