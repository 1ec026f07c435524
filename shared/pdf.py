"""Opening a PDF with pypdf: the PDF worker reads its pages, the gateway counts the pages
of an upload PDFium cannot open, and both refuse a damaged or password-protected file
with the same codes."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from shared.errors import ConveyorError, ErrorCode

# What pypdf raises on damaged content: it has no single error type.
PDF_READ_ERRORS = (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                   OSError, RecursionError)


def open_pdf(path: Path) -> PdfReader:
    """The PDF's reader, decrypted when it has only an owner password. pypdf parses pages
    lazily: wrap what reads them in `refusing_unreadable`."""
    with refusing_unreadable():
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConveyorError(ErrorCode.PASSWORD_PROTECTED,
                                "the PDF is password-protected; upload an unprotected copy")
    return reader


@contextmanager
def refusing_unreadable() -> Iterator[None]:
    """pypdf's errors on a damaged file, as INPUT_INVALID."""
    try:
        yield
    except OSError as exc:  # its text would name our storage paths
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the uploaded PDF cannot be opened") from exc
    except PDF_READ_ERRORS as exc:
        raise ConveyorError(ErrorCode.INPUT_INVALID,
                            f"the PDF is damaged or truncated and cannot be read: {exc}") from exc
