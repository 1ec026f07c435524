"""Which PDF pages are read by OCR: classification by text and images, on real PDF pages;
images found alike by both text engines."""

import io
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from services.workers.pdf.engines import TextEngine, open_document
from services.workers.pdf.page_kinds import (
    MIN_LETTERS,
    OcrMode,
    PageKind,
    classify_page,
    draws_images,
    kind_of,
    needs_ocr,
)
from tests.support.pdfs import make_pdf
from tests.support.scanned_pdfs import images_pdf, scan

BOOK_TEXT = "It was a bright cold day in April, and the clocks were striking thirteen."


def _page(pdf: bytes, index: int = 0) -> PageObject:
    return PdfReader(io.BytesIO(pdf)).pages[index]


def _blank_pdf() -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


def _small_image_pdf(mode: str = "L") -> bytes:
    return images_pdf([Image.new(mode, (40, 40), 255)])


@pytest.mark.parametrize(("text", "has_images", "kind"), [
    (BOOK_TEXT, False, PageKind.TEXT),
    (BOOK_TEXT, True, PageKind.TEXT),  # a text page with a figure keeps its text layer
    ("", True, PageKind.SCANNED),
    ("12", True, PageKind.SCANNED),  # a scan with a page number in its text layer
    ("Scanned with CamScanner", True, PageKind.SCANNED),  # a scanner app's watermark
    ("\x00\x01\ufffd \ue000\ue001", True, PageKind.SCANNED),  # glyphs without Unicode
    ("Chapter One", False, PageKind.TEXT),  # short, but nothing else is on the page
    ("12", False, PageKind.TEXT),
    ("", False, PageKind.EMPTY),
    (" \n\t", False, PageKind.EMPTY),
])
def test_kind_of(text: str, has_images: bool, kind: PageKind) -> None:
    assert kind_of(text, has_images=has_images) is kind


def test_the_letter_threshold_is_about_half_a_line() -> None:
    assert kind_of("a" * (MIN_LETTERS - 1), has_images=True) is PageKind.SCANNED
    assert kind_of("a" * MIN_LETTERS, has_images=True) is PageKind.TEXT
    assert kind_of("1 2 3 " * 40, has_images=True) is PageKind.SCANNED  # digits are no words


@pytest.mark.parametrize(("kind", "mode", "expected"), [
    (PageKind.SCANNED, OcrMode.AUTO, True),
    (PageKind.TEXT, OcrMode.AUTO, False),
    (PageKind.EMPTY, OcrMode.AUTO, False),
    (PageKind.SCANNED, OcrMode.NEVER, False),
    (PageKind.TEXT, OcrMode.ALWAYS, True),
    (PageKind.EMPTY, OcrMode.ALWAYS, True),  # text drawn as outlines shows only rendered
])
def test_needs_ocr(kind: PageKind, mode: OcrMode, expected: bool) -> None:
    assert needs_ocr(kind, mode) is expected


def test_mode_of_job_params() -> None:
    assert OcrMode.of({}) is OcrMode.AUTO  # jobs started before the option existed
    assert OcrMode.of({"ocr": "never"}) is OcrMode.NEVER
    with pytest.raises(ValueError):
        OcrMode.of({"ocr": "bogus"})


def _classify(page: PageObject) -> PageKind:
    return classify_page(page.extract_text(), find_images=lambda: draws_images(page))


def test_text_page_of_a_generated_pdf() -> None:
    page = _page(make_pdf([[BOOK_TEXT]]))
    assert not draws_images(page)
    assert _classify(page) is PageKind.TEXT


def test_a_long_text_is_classified_without_parsing_the_content() -> None:
    def unasked() -> bool:
        raise AssertionError("the content was parsed")

    assert classify_page(BOOK_TEXT, find_images=unasked) is PageKind.TEXT


@pytest.mark.parametrize("mode", ["L", "1"])  # JPEG and CCITT Group 4 (fax) images
def test_scanned_page(mode: str) -> None:
    page = _page(images_pdf([scan(["A scanned sentence."], mode=mode)]))
    assert page.extract_text() == ""
    assert draws_images(page)
    assert _classify(page) is PageKind.SCANNED


def test_blank_page() -> None:
    page = _page(_blank_pdf())
    assert not draws_images(page)
    assert _classify(page) is PageKind.EMPTY


def _with_content(pdf: bytes, content: bytes, *, wrap_in_form: bool = False) -> bytes:
    """`pdf` with its first page's content replaced; `wrap_in_form`: the page draws a form
    XObject that holds `content` and the page's resources."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf)))
    page = writer.pages[0]
    stream = DecodedStreamObject()
    stream.set_data(content)
    if wrap_in_form:
        form = DecodedStreamObject()
        form.set_data(content)
        form.update({NameObject("/Type"): NameObject("/XObject"),
                     NameObject("/Subtype"): NameObject("/Form"),
                     NameObject("/BBox"): page.mediabox,
                     NameObject("/Resources"): page["/Resources"]})
        resources = DictionaryObject({NameObject("/XObject"): DictionaryObject(
            {NameObject("/Fm0"): writer._add_object(form)})})
        page[NameObject("/Resources")] = resources
        stream.set_data(b"/Fm0 Do")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _draws_images(pdf: bytes, engine: TextEngine, tmp_path: Path) -> bool:
    path = tmp_path / f"{engine}.pdf"
    path.write_bytes(pdf)
    return open_document(path, engine).draws_images(0)


def _image_name(pdf: bytes) -> str:
    return next(iter(_page(pdf)["/Resources"]["/XObject"]))


@pytest.mark.parametrize("engine", list(TextEngine))
def test_an_image_drawn_inside_a_form_counts(engine: TextEngine, tmp_path: Path) -> None:
    pdf = _small_image_pdf()
    draw = f"q 40 0 0 40 0 0 cm {_image_name(pdf)} Do Q".encode()
    assert _draws_images(_with_content(pdf, draw, wrap_in_form=True), engine, tmp_path)


@pytest.mark.parametrize("engine", list(TextEngine))
def test_an_image_only_listed_in_the_resources_does_not_count(engine: TextEngine,
                                                               tmp_path: Path) -> None:
    # Generators that share one resource dictionary between pages list every image on
    # every page, the blank ones too.
    assert not _draws_images(_with_content(_small_image_pdf(), b""), engine, tmp_path)


@pytest.mark.parametrize("engine", list(TextEngine))
def test_an_inline_image_counts(engine: TextEngine, tmp_path: Path) -> None:
    inline = b"q 40 0 0 40 0 0 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q"
    assert _draws_images(_with_content(_blank_pdf(), inline), engine, tmp_path)


@pytest.mark.parametrize("engine", list(TextEngine))
def test_a_text_page_and_a_blank_page_draw_no_images(engine: TextEngine,
                                                      tmp_path: Path) -> None:
    assert not _draws_images(make_pdf([[BOOK_TEXT]]), engine, tmp_path)
    assert not _draws_images(_blank_pdf(), engine, tmp_path)
