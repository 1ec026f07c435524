"""Real receipts (../shared/data/receipts-sroie) turned by a quarter or a half give the same
fields as upright, and say how they were turned."""

import cv2
import numpy as np

from services.workers.ocr.receipt_analysis import analyse_receipt
from services.workers.ocr.receipts import TESSERACT_PSM
from shared.image_decode import load_image
from shared.ocr.reading import read_upright
from tests.support.sroie import FIELDS, load_cases

TURNS = ((90, cv2.ROTATE_90_CLOCKWISE), (180, cv2.ROTATE_180),
         (270, cv2.ROTATE_90_COUNTERCLOCKWISE))


def _read(image: np.ndarray) -> tuple[int, dict[str, object]]:
    reading = read_upright(image, psm=TESSERACT_PSM)
    data = analyse_receipt(reading.ocr.text, line_confidences=reading.ocr.line_confidences)
    return reading.turned_degrees, {field: data[field]["value"] for field in FIELDS}


def test_a_turned_receipt_gives_the_fields_of_the_upright_one() -> None:
    # 445: capitals and digits, a stamp and dashed rules, the harder case for trial reads.
    image = load_image(load_cases(["445"])[0].image_path, max_pixels=50_000_000)
    turn, upright = _read(image)
    assert turn == 0 and upright["total"] == "34.80" and upright["merchant"]
    for degrees, code in TURNS:
        assert _read(cv2.rotate(image, code)) == (360 - degrees, upright), degrees
