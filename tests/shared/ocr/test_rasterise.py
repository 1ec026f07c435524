"""PDF pages rendered with PDFium and read by Tesseract; damaged and locked PDFs refused."""

import math
from pathlib import Path

import numpy as np
import pytest
from fpdf import FPDF

from shared.errors import ConveyorError, ErrorCode
from shared.ocr.imaging import prepare
from shared.ocr.rasterise import pdf_page_count, render_pdf_page
from shared.ocr.tesseract import recognise

PAGES = ("First page alpha", "Second page bravo 2024", "Third page charlie")
MAX_PIXELS = 50_000_000
A4_POINTS = (595.28, 841.89)


def write_pdf(path: Path, *, user_password: str | None = None) -> Path:
    pdf = FPDF(format="A4")
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.set_font("Helvetica", size=36)
    for text in PAGES:
        pdf.add_page()
        pdf.multi_cell(0, 20, text)
    pdf.output(str(path))
    return path


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "three.pdf")


def assert_refused(path: Path, code: ErrorCode) -> ConveyorError:
    with pytest.raises(ConveyorError) as caught:
        render_pdf_page(path, page_index=0, max_pixels=MAX_PIXELS)
    assert caught.value.code is code
    assert str(path.parent) not in caught.value.message  # no storage paths in user text
    with pytest.raises(ConveyorError) as counted:
        pdf_page_count(path)
    assert counted.value.code is code
    return caught.value


def test_page_count(pdf: Path) -> None:
    assert pdf_page_count(pdf) == 3


def test_second_page_renders_and_reads(pdf: Path) -> None:
    image = render_pdf_page(pdf, page_index=1, dpi=150, max_pixels=MAX_PIXELS)

    assert image.dtype == np.uint8 and image.ndim == 2
    assert image.flags.c_contiguous and image.flags.owndata
    assert image.shape == (math.ceil(A4_POINTS[1] * 150 / 72),
                           math.ceil(A4_POINTS[0] * 150 / 72))  # PDFium rounds up
    assert np.median(image) == 255  # white paper
    assert image.min() < 64  # black text
    text = recognise(prepare(image).image).text
    assert "Second page bravo 2024" in text
    assert "First" not in text and "Third" not in text


def test_max_pixels_lowers_the_resolution(pdf: Path) -> None:
    full = render_pdf_page(pdf, page_index=0, dpi=300, max_pixels=MAX_PIXELS)
    small = render_pdf_page(pdf, page_index=0, dpi=300, max_pixels=1_000_000)

    assert full.shape == (3508, 2481)
    assert small.size <= 1_000_000
    assert small.size > 0.98 * 1_000_000  # as large as the limit allows, not a thumbnail
    assert small.shape[0] / small.shape[1] == pytest.approx(3508 / 2481, rel=0.01)
    tiny = render_pdf_page(pdf, page_index=0, dpi=300, max_pixels=50)
    assert 0 < tiny.size <= 50


@pytest.mark.parametrize("index", [3, -1, 100])
def test_page_index_out_of_range(pdf: Path, index: int) -> None:
    with pytest.raises(ConveyorError) as caught:
        render_pdf_page(pdf, page_index=index, max_pixels=MAX_PIXELS)
    assert caught.value.code is ErrorCode.INPUT_INVALID
    assert "3 page(s)" in caught.value.message


def test_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"these are plain text notes, not a PDF\n" * 20)
    assert "not a readable PDF" in assert_refused(path, ErrorCode.INPUT_INVALID).message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert_refused(path, ErrorCode.INPUT_INVALID)


def test_truncated_pdf(pdf: Path) -> None:
    data = pdf.read_bytes()
    pdf.write_bytes(data[: len(data) // 2])
    assert_refused(pdf, ErrorCode.INPUT_INVALID)


def test_missing_file(tmp_path: Path) -> None:
    error = assert_refused(tmp_path / "gone.pdf", ErrorCode.INPUT_INVALID)
    assert error.message == "the PDF cannot be opened"


def test_password_protected(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "locked.pdf", user_password="secret")
    assert "password" in assert_refused(path, ErrorCode.PASSWORD_PROTECTED).message


def test_owner_password_only_still_renders(tmp_path: Path) -> None:
    # Encrypted for permissions only (empty user password): anyone may open it.
    path = write_pdf(tmp_path / "permissions.pdf", user_password="")
    assert pdf_page_count(path) == 3
    assert render_pdf_page(path, page_index=2, dpi=72, max_pixels=MAX_PIXELS).min() < 64
