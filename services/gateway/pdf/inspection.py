"""What can be known about an uploaded PDF before a job is created."""

from pathlib import Path

from shared.errors import ConveyorError, ErrorCode
from shared.pdf import open_pdf, refusing_unreadable
from shared.storage import StoredFile

PDF_MAGIC = b"%PDF-"


def check_pdf_bytes(stored: StoredFile) -> None:
    """Judge by content, not by name: the header must appear in the first kilobyte."""
    if stored.size == 0:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the uploaded file is empty")
    if PDF_MAGIC not in stored.head[:1024]:
        raise ConveyorError(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                            "the uploaded file is not a PDF (no %PDF- header)")


def count_pages(path: Path) -> int:
    """Open the PDF and count its pages; damaged and password-protected files are refused."""
    reader = open_pdf(path)
    with refusing_unreadable():
        pages = len(reader.pages)
    if pages == 0:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the PDF has no pages")
    return pages
