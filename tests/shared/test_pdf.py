"""Opening PDFs: what the gateway's page count and the PDF worker both rely on."""

from collections.abc import Callable
from pathlib import Path

import pytest

from shared.errors import ConveyorError, ErrorCode
from shared.pdf import open_pdf, refusing_unreadable
from tests.support.pdfs import make_document
from tests.support.pdfs_bad import encrypted_pdf, garbage_after_header, truncated_pdf


def _write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "upload.pdf"
    path.write_bytes(content)
    return path


def _refused(path: Path) -> ConveyorError:
    with pytest.raises(ConveyorError) as caught, refusing_unreadable():
        len(open_pdf(path).pages)
    return caught.value


def test_a_good_pdf_opens_with_all_its_pages(tmp_path: Path) -> None:
    pdf, _ = make_document(3)
    assert len(open_pdf(_write(tmp_path, pdf)).pages) == 3


def test_a_password_protected_pdf_is_refused(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, encrypted_pdf()))
    assert error.code == ErrorCode.PASSWORD_PROTECTED
    assert error.message == "the PDF is password-protected; upload an unprotected copy"


@pytest.mark.parametrize("broken", [truncated_pdf, garbage_after_header])
def test_a_damaged_pdf_is_input_invalid(tmp_path: Path, broken: Callable[[], bytes]) -> None:
    error = _refused(_write(tmp_path, broken()))
    assert error.code == ErrorCode.INPUT_INVALID
    assert error.message.startswith("the PDF is damaged or truncated and cannot be read: ")


def test_a_missing_file_does_not_name_the_storage_path(tmp_path: Path) -> None:
    error = _refused(tmp_path / "gone.pdf")
    assert (error.code, error.message) == (ErrorCode.INPUT_INVALID,
                                           "the uploaded PDF cannot be opened")
