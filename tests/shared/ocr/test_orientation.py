"""Pages and receipts turned by a quarter or a half are read as well as upright ones."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from shared.ocr import imaging, orientation
from shared.ocr.reading import read_upright
from tests.support.scans import PHOTOTEST_LINES, character_error_rate, phototest_page, turned

TURNS = (0, 90, 180, 270)


def _array(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


@pytest.fixture(scope="module")
def upright_text() -> str:
    return read_upright(_array(phototest_page()), psm=3).ocr.text


@pytest.mark.parametrize("degrees", TURNS)
def test_a_turned_page_reads_as_the_upright_one(degrees: int, upright_text: str) -> None:
    page = _array(turned(phototest_page(), degrees))

    reading = read_upright(page, psm=3)

    # The turn that undoes a clockwise turn of `degrees`.
    assert reading.turned_degrees == (360 - degrees) % 360
    assert character_error_rate(reading.ocr.text, upright_text) <= 0.01
    assert character_error_rate(upright_text, " ".join(PHOTOTEST_LINES)) <= 0.02


def test_the_axis_of_text_lines_is_found_on_a_page_on_its_side() -> None:
    page = _array(phototest_page())

    assert not orientation.lines_run_vertically(page)
    assert orientation.lines_run_vertically(cv2.rotate(page, cv2.ROTATE_90_CLOCKWISE))


def test_a_blank_page_is_left_as_it_is() -> None:
    blank = np.full((800, 600), 250, dtype=np.uint8)

    assert not orientation.lines_run_vertically(blank)
    assert imaging.prepare(blank).turned_degrees == 0
