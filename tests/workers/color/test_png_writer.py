"""The colour worker's own PNG writer, read back by two independent decoders."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from services.workers.color.png_writer import png_bytes
from tests.support.surfaces import shaded_surface


@pytest.mark.parametrize("image", [
    shaded_surface(123, 77),
    shaded_surface(1, 1),
    shaded_surface(40, 60)[:, :, 0].copy(),  # grey
    np.ascontiguousarray(shaded_surface(50, 90)[::2, ::3]),
], ids=["bgr", "one-pixel", "grey", "odd-strides"])
def test_png_round_trips_through_opencv_and_pillow(image: np.ndarray) -> None:
    data = png_bytes(image)

    by_opencv = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    with Image.open(io.BytesIO(data)) as by_pillow:
        by_pillow.load()  # verifies every chunk's CRC and the zlib stream's checksum
        pillow_pixels = np.asarray(by_pillow)

    assert np.array_equal(by_opencv, image)
    expected_rgb = image if image.ndim == 2 else image[:, :, ::-1]
    assert np.array_equal(pillow_pixels, expected_rgb)


def test_a_view_that_is_not_contiguous_is_written_as_its_pixels() -> None:
    surface = shaded_surface(30, 40)
    view = surface[5:25, 10:30]
    assert np.array_equal(cv2.imdecode(np.frombuffer(png_bytes(view), np.uint8),
                                       cv2.IMREAD_UNCHANGED), view)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint16), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros(16, np.uint8)])
def test_unsupported_arrays_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        png_bytes(bad)
