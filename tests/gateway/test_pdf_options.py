"""A PDF job's parameters from the form: the text engine left out is the server's."""

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.gateway.pdf.router import _options
from services.gateway.settings import GatewaySettings

FORM = {"sentence_length_limit": None, "gemini_model": "", "ignore_dialogue": False,
        "preserve_formatting": False, "fix_hyphenation": True, "min_sentence_length": None,
        "ocr": "auto"}


@pytest.mark.parametrize(("configured", "named", "engine"), [
    ("pypdf", None, "pypdf"), ("pdfium", None, "pdfium"), ("pdfium", "pypdf", "pypdf"),
    ("pypdf", "pdfium", "pdfium")])
def test_the_engine_named_or_else_pdf_text_engine(configured: str, named: str | None,
                                                  engine: str) -> None:
    settings = GatewaySettings(pdf_text_engine=configured)
    options = _options(settings, **FORM, text_engine=named)
    assert options.text_engine == engine
    assert options.model_dump(exclude_none=True)["text_engine"] == engine  # the job's params


def test_pdf_text_engine_takes_only_the_two_engines(monkeypatch) -> None:
    monkeypatch.setenv("PDF_TEXT_ENGINE", "poppler")
    with pytest.raises(ValidationError):
        GatewaySettings()


def test_an_unknown_engine_is_a_validation_error() -> None:
    with pytest.raises(RequestValidationError) as refused:
        _options(GatewaySettings(), **FORM, text_engine="poppler")
    assert [error["loc"] for error in refused.value.errors()] == [("body", "text_engine")]
