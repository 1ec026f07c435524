"""Opening a PDF with PDFium (pypdfium2): the gateway counts an upload's pages, the OCR
worker renders them, the PDF worker renders scans and, as one of its text engines, reads
text layers.

PDFium is not thread-safe: every call into it holds `PDFIUM_LOCK`, so a threaded worker
pool stays correct (Celery's default prefork pool never waits on it).

Errors are ConveyorErrors without storage paths in their text: a password-protected or
otherwise encrypted PDF -> PASSWORD_PROTECTED (a PDF with only an owner password, i.e.
permission flags, opens); damaged, truncated or non-PDF data, a missing file ->
INPUT_INVALID.
"""

import threading
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from shared.errors import ConveyorError, ErrorCode

PDFIUM_LOCK = threading.Lock()
_PROTECTED = "upload a copy without a password"


def open_pdfium(path: Path) -> pdfium.PdfDocument:
    """The opened document; the caller closes it, holding `PDFIUM_LOCK` for both."""
    try:
        return pdfium.PdfDocument(Path(path))
    except pdfium.PdfiumError as exc:
        raise _load_error(exc) from exc
    except OSError as exc:  # its text would name our storage paths
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the PDF cannot be opened") from exc


def _load_error(exc: pdfium.PdfiumError) -> ConveyorError:
    if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
        return ConveyorError(ErrorCode.PASSWORD_PROTECTED,
                             f"the PDF is password-protected; {_PROTECTED}")
    if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
        return ConveyorError(ErrorCode.PASSWORD_PROTECTED, "the PDF is encrypted with a "
                             f"security scheme that cannot be opened; {_PROTECTED}")
    if exc.err_code == pdfium_c.FPDF_ERR_FILE:
        return ConveyorError(ErrorCode.INPUT_INVALID, "the PDF cannot be opened")
    # FPDF_ERR_FORMAT and anything else: not a PDF, truncated, damaged beyond repair, or
    # a PDF without pages (pypdfium2 refuses those too).
    return ConveyorError(ErrorCode.INPUT_INVALID,
                         "the file is not a readable PDF: it is damaged, truncated, has no "
                         "pages or is not a PDF at all")
