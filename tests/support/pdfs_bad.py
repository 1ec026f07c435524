"""Broken and hostile PDFs for the bad-input tests."""

import io

from pypdf import PdfReader, PdfWriter

from tests.support.pdfs import make_document


def encrypted_pdf() -> bytes:
    pdf, _ = make_document(2)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    """The header survives but the body and cross-reference table are cut away."""
    pdf, _ = make_document(3)
    return pdf[: len(pdf) // 3]


def garbage_after_header() -> bytes:
    return b"%PDF-1.7\n" + b"\x00\x13 this is not really a pdf " * 50
