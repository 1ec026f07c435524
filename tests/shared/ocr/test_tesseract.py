"""The Tesseract wrapper against the real Tesseract: text, words, boxes, errors."""

import json
import os

import numpy as np
import pytesseract
import pytest

from shared.errors import ConveyorError, ErrorCode
from shared.ocr.imaging import prepare
from shared.ocr.tesseract import OcrResult, readable_text_check, recognise
from tests.shared.ocr.test_imaging import LINES, render_text


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return prepare(np.asarray(render_text())).image


@pytest.fixture(scope="module")
def result(page: np.ndarray) -> OcrResult:
    return recognise(page)


def test_tesseract_runs_single_threaded() -> None:
    assert os.environ["OMP_THREAD_LIMIT"] == "1"


def test_text_is_rebuilt_line_by_line(result: OcrResult) -> None:
    assert result.text.splitlines() == list(LINES)
    assert result.languages == "pol+eng"


def test_polish_diacritics_are_read(result: OcrResult) -> None:
    assert "Zażółć gęślą jaźń" in result.text


def test_words_carry_boxes_inside_the_image(page: np.ndarray, result: OcrResult) -> None:
    height, width = page.shape
    assert [word.text for word in result.words] == " ".join(LINES).split()
    for word in result.words:
        assert word.left >= 0 and word.left + word.width <= width
        assert word.top >= 0 and word.top + word.height <= height
        assert word.width > 0 and word.height > 0
        assert 0.0 <= word.confidence <= 100.0
        assert word.block >= 1
    assert [word.line for word in result.words if word.text == "Total"] == [2]
    assert 0.0 <= result.mean_confidence <= 100.0
    assert result.mean_confidence > 80.0


def test_to_dict_is_json_serialisable(result: OcrResult) -> None:
    document = json.loads(json.dumps(result.to_dict()))

    first = document["words"][0]
    word = result.words[0]
    assert first["text"] == "Invoice"
    assert first["bbox"] == [word.left, word.top, word.width, word.height]
    assert document["text"] == result.text


def test_readable_text_passes_the_check(result: OcrResult) -> None:
    readable_text_check(result)


@pytest.mark.parametrize("kind", ["blank", "noise"])
def test_an_image_without_text_fails_the_check(kind: str) -> None:
    if kind == "blank":
        image = np.full((600, 800), 255, dtype=np.uint8)
    else:
        image = np.random.default_rng(3).integers(0, 256, (600, 800), dtype=np.uint8)

    result = recognise(prepare(image).image)

    with pytest.raises(ConveyorError) as caught:
        readable_text_check(result)
    assert caught.value.code == ErrorCode.PROCESSING_FAILED
    assert "No readable text" in caught.value.message


def test_colour_input_is_accepted() -> None:
    gray = np.asarray(render_text())
    bgra = np.dstack([gray, gray, gray, np.full_like(gray, 255)])

    assert "Total amount 129.99 PLN" in recognise(bgra).text


def test_missing_language_data_is_an_internal_error_saying_what_to_install(
        page: np.ndarray) -> None:
    with pytest.raises(ConveyorError) as caught:
        recognise(page, languages="pol+xyz")

    assert caught.value.code == ErrorCode.INTERNAL
    assert "xyz" in caught.value.message
    assert "tesseract-ocr-" in caught.value.message


def test_missing_tesseract_is_an_internal_error(page: np.ndarray,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")

    with pytest.raises(ConveyorError) as caught:
        recognise(page)

    assert caught.value.code == ErrorCode.INTERNAL
    assert "not installed" in caught.value.message


def test_a_run_over_its_time_limit_is_a_timeout(page: np.ndarray) -> None:
    big = np.tile(page, (4, 2))

    with pytest.raises(ConveyorError) as caught:
        recognise(big, timeout_seconds=0.05)

    assert caught.value.code == ErrorCode.TIMEOUT
    assert caught.value.code.retryable
