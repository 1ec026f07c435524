"""The colour worker's own PNG writer, read back by two independent decoders."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from services.workers.color.png_writer import indexed_png_bytes, png_bytes
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


@pytest.mark.parametrize("entries", [1, 89, 256])
def test_indexed_png_round_trips_through_opencv_and_pillow(entries: int) -> None:
    rng = np.random.default_rng(entries)
    palette = rng.integers(0, 256, (entries, 3), np.uint8)
    index = rng.integers(0, entries, (37, 53), np.uint8)
    data = indexed_png_bytes(index, palette)

    by_opencv = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    with Image.open(io.BytesIO(data)) as by_pillow:
        by_pillow.load()
        assert by_pillow.mode == "P"
        pillow_indices = np.asarray(by_pillow)
        pillow_rgb = np.asarray(by_pillow.convert("RGB"))

    assert np.array_equal(by_opencv, palette[index])
    assert np.array_equal(pillow_indices, index)
    assert np.array_equal(pillow_rgb, palette[index][:, :, ::-1])


@pytest.mark.parametrize(("index", "palette"), [
    (np.full((4, 4), 3, np.uint8), np.zeros((3, 3), np.uint8)),  # past the palette
    (np.zeros((4, 4), np.uint8), np.zeros((257, 3), np.uint8)),  # too many entries
    (np.zeros((4, 4), np.uint8), np.zeros((0, 3), np.uint8)),
    (np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8)),  # not RGB entries
    (np.zeros((4, 4), np.uint16), np.zeros((4, 3), np.uint8)),
    (np.zeros((4, 4, 1), np.uint8), np.zeros((4, 3), np.uint8)),
], ids=["past-the-end", "257-entries", "empty", "four-channels", "16-bit", "3-d"])
def test_unsupported_indexed_images_are_refused(index: np.ndarray,
                                                palette: np.ndarray) -> None:
    with pytest.raises(ValueError):
        indexed_png_bytes(index, palette)
