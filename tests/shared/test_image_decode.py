"""Decoding uploads to arrays: colour on request, and the reduced decode for thumbnails."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shared.errors import ConveyorError, ErrorCode
from shared.image_decode import check_decodes, load_image


def _save(tmp_path: Path, image: Image.Image, fmt: str, name: str) -> Path:
    path = tmp_path / name
    image.save(path, fmt)
    return path


def test_gray_comes_back_gray_or_as_three_equal_channels(tmp_path: Path) -> None:
    path = _save(tmp_path, Image.new("L", (30, 20), 77), "PNG", "g.png")
    assert load_image(path, max_pixels=10_000).shape == (20, 30)
    colour = load_image(path, max_pixels=10_000, color=True)
    assert colour.shape == (20, 30, 3) and (colour == 77).all()


def test_rgb_comes_back_in_opencv_channel_order(tmp_path: Path) -> None:
    path = _save(tmp_path, Image.new("RGB", (8, 8), (200, 100, 10)), "PNG", "c.png")
    assert load_image(path, max_pixels=10_000)[0, 0].tolist() == [10, 100, 200]


def test_max_side_shrinks_a_large_jpeg_keeping_its_shape(tmp_path: Path) -> None:
    path = _save(tmp_path, Image.new("RGB", (4000, 1000), (30, 60, 90)), "JPEG", "big.jpg")
    small = load_image(path, max_pixels=10_000_000, max_side=256)
    assert small.shape == (64, 256, 3)
    assert np.abs(small.astype(int) - [90, 60, 30]).max() <= 3


def test_a_truncated_jpeg_is_refused_even_when_decoded_small(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)).save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ConveyorError, match="corrupt or truncated"):
        load_image(path, max_pixels=10_000_000, max_side=256)


def _noise(fmt: str, mode: str) -> bytes:
    rng = np.random.default_rng(1)
    shape = (300, 400, 3) if mode == "RGB" else (300, 400)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "mode"), [("JPEG", "RGB"), ("JPEG", "L"), ("PNG", "RGB"),
                                           ("WEBP", "RGB"), ("TIFF", "L")])
def test_check_decodes_passes_a_whole_image_and_refuses_it_cut_short(
        tmp_path: Path, fmt: str, mode: str) -> None:
    data = _noise(fmt, mode)
    whole = tmp_path / "whole"
    whole.write_bytes(data)
    check_decodes(whole, max_pixels=1_000_000)
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) * 3 // 4])  # the header survives, the data stops
    with pytest.raises(ConveyorError) as refused:
        check_decodes(cut, max_pixels=1_000_000)
    assert refused.value.code is ErrorCode.INPUT_INVALID
    assert "truncated" in refused.value.message


def test_check_decodes_refuses_corrupt_data_behind_a_good_header(tmp_path: Path) -> None:
    data = bytearray(_noise("PNG", "RGB"))
    data[200:400] = bytes(200)  # inside the first IDAT chunk: its CRC and zlib stream break
    path = tmp_path / "corrupt.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ConveyorError, match="could not be decoded"):
        check_decodes(path, max_pixels=1_000_000)
