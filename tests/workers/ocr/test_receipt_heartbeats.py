"""A receipt's OCR step runs Tesseract a dozen times (the page, turned trials, the rows it
left out, lines read again); the chunk heartbeats between every two runs, so a large
receipt on a busy machine is not taken for a lost worker. On a real receipt
(../shared/data/receipts-sroie)."""

from typing import Any

import pytest

from services.workers.ocr.receipts import read_receipt
from shared.image_decode import load_image
from shared.ocr import tesseract
from tests.support.sroie import load_cases


# 289: a large receipt whose rows left out are read again (2.7 s here; its OCR step
# outlasted a 4-second heartbeat timeout on a loaded machine); 234: lines read again for
# the analysis; 265: an orientation trial.
@pytest.mark.parametrize("receipt_id", ["289", "234", "265"])
def test_every_tesseract_run_after_the_first_follows_a_heartbeat(monkeypatch,
                                                                  receipt_id: str) -> None:
    log: list[str] = []
    run = tesseract._run

    def logged_run(function: Any, image: Any, **kwargs: Any) -> Any:
        log.append("tesseract")
        return run(function, image, **kwargs)

    monkeypatch.setattr(tesseract, "_run", logged_run)
    image = load_image(load_cases([receipt_id])[0].image_path, max_pixels=50_000_000)

    data = read_receipt(image, between_reads=lambda: log.append("heartbeat"))

    assert log.count("tesseract") >= 2, log  # more than the page's own reading
    assert log[0] == "tesseract"
    unguarded = [i for i in range(1, len(log)) if log[i] == log[i - 1] == "tesseract"]
    assert unguarded == [], log
    assert data["total"]["value"]
