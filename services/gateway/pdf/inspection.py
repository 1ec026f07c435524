"""What can be known about an uploaded PDF before a job is created."""

from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from shared.errors import ConveyorError, ErrorCode
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
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConveyorError(ErrorCode.PASSWORD_PROTECTED,
                                "the PDF is password-protected; upload an unprotected copy")
        pages = len(reader.pages)
    except ConveyorError:
        raise
    except OSError as exc:  # its text would name our storage paths
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the uploaded PDF cannot be opened") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConveyorError(ErrorCode.INPUT_INVALID,
                            f"the PDF is damaged or truncated and cannot be read: {exc}") from exc
    if pages == 0:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the PDF has no pages")
    return pages
