"""The page count a confirm reserves credits for: PDFium's, checked against its page tree;
pypdf's where PDFium refuses the file or its /Count promises pages the tree lacks."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject

from services.gateway.pdf.inspection import count_pages
from shared.errors import ConveyorError, ErrorCode
from tests.support.pdfs import make_document
from tests.support.pdfs_bad import encrypted_pdf, garbage_after_header, truncated_pdf


def _saved(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload.pdf"
    path.write_bytes(data)
    return path


def _with_declared_count(pdf: bytes, count: int) -> bytes:
    """The PDF with its page tree's /Count replaced (its pages untouched)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.root_object["/Pages"][NameObject("/Count")] = NumberObject(count)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("pages", [1, 4, 37])
def test_counts_the_pages(tmp_path, pages):
    pdf, _ = make_document(pages, per_page=1)
    assert count_pages(_saved(tmp_path, pdf)) == pages


def test_a_count_promising_missing_pages_is_counted_from_the_tree(tmp_path):
    pdf, _ = make_document(4, per_page=1)
    assert count_pages(_saved(tmp_path, _with_declared_count(pdf, 7))) == 4


def test_a_count_short_of_the_tree_is_taken_as_viewers_take_it(tmp_path):
    # PDFium (Chromium's viewer) shows the pages /Count declares; the job reads those.
    pdf, _ = make_document(4, per_page=1)
    assert count_pages(_saved(tmp_path, _with_declared_count(pdf, 2))) == 2


@pytest.mark.parametrize(("make", "code", "words"), [
    (encrypted_pdf, ErrorCode.PASSWORD_PROTECTED, "password-protected"),
    (truncated_pdf, ErrorCode.INPUT_INVALID, "cannot be read"),
    (garbage_after_header, ErrorCode.INPUT_INVALID, "cannot be read"),
])
def test_refusals_keep_pypdfs_codes_and_words(tmp_path, make, code, words):
    with pytest.raises(ConveyorError) as refused:
        count_pages(_saved(tmp_path, make()))
    assert refused.value.code is code
    assert words in refused.value.message
