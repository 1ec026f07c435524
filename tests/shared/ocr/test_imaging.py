"""Decoding and OCR preprocessing, checked by what the real Tesseract reads afterwards."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from shared.errors import ConveyorError, ErrorCode
from shared.image_decode import load_image
from shared.ocr import imaging
from shared.ocr.tesseract import recognise

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
LINES = ("Invoice number 4521", "Total amount 129.99 PLN", "Zażółć gęślą jaźń")
MAX_PIXELS = 50_000_000


def render_text(lines: tuple[str, ...] = LINES, *, size: int = 28,
                margin: int = 40) -> Image.Image:
    """Black text on a white gray-scale page, one line per entry."""
    font = ImageFont.truetype(FONT_PATH, size)
    step = int(size * 1.6)
    width = max(int(font.getlength(line)) for line in lines) + 2 * margin
    page = Image.new("L", (width, 2 * margin + step * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(lines):
        draw.text((margin, margin + row * step), line, font=font, fill=0)
    return page


def read(image: np.ndarray) -> str:
    return recognise(imaging.prepare(image).image).text


@pytest.mark.parametrize(("orientation", "stored_turn"), [
    (6, Image.Transpose.ROTATE_90),  # stored turned 90 degrees left; EXIF says turn right
    (8, Image.Transpose.ROTATE_270),
])
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int,
                                     stored_turn: Image.Transpose) -> None:
    upright = render_text()
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    upright.transpose(stored_turn).save(path, format="JPEG", quality=95, exif=exif)

    image = load_image(path, max_pixels=MAX_PIXELS)

    assert image.shape[:2] == (upright.height, upright.width)
    text = read(image)
    assert "Invoice number 4521" in text
    assert "129.99" in text


@pytest.mark.parametrize("angle", [5.0, -5.0])
def test_skew_is_estimated_and_undone(angle: float) -> None:
    skewed = render_text().rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                                  fillcolor=255)
    gray = np.asarray(skewed)

    assert imaging.estimate_skew_degrees(gray) == pytest.approx(angle, abs=1.0)
    text = read(gray)
    assert "Invoice number 4521" in text
    assert "Total amount 129.99 PLN" in text


def test_uneven_lighting_and_noise_are_handled() -> None:
    page = np.asarray(render_text(), dtype=np.float32)
    light = np.linspace(1.0, 0.45, page.shape[1])[None, :]  # a shadow over the right side
    noise = np.random.default_rng(7).normal(0, 10, page.shape)
    photo = np.clip(page * light + noise, 0, 255).astype(np.uint8)
    colour = np.dstack([photo, photo, photo])

    prepared = imaging.prepare(colour).image

    assert prepared.dtype == np.uint8
    # Light paper even in the shadow (the photo's paper there is at ~115); dark ink.
    shadow = prepared[:, -prepared.shape[1] // 4:]
    assert np.mean(shadow >= 200) > 0.9 and np.mean(prepared >= 200) > 0.9
    assert prepared.min() < 100
    assert "Total amount 129.99 PLN" in recognise(prepared).text


def test_small_text_is_scaled_up() -> None:
    small = np.asarray(render_text(size=11, margin=15))

    scaled = imaging.rescale_for_ocr(small)

    assert scaled.shape[0] > 1.5 * small.shape[0]
    assert "Invoice number 4521" in read(small)


def test_a_transparent_png_is_flattened_on_white(tmp_path: Path) -> None:
    text = render_text()
    rgba = Image.new("RGBA", text.size, (0, 0, 0, 0))  # transparent black background
    rgba.putalpha(Image.eval(text, lambda value: 255 - value))  # opaque only where ink is
    path = tmp_path / "label.png"
    rgba.save(path, format="PNG")

    image = load_image(path, max_pixels=MAX_PIXELS)

    assert image.ndim == 3
    assert image.mean() > 200
    assert "Invoice number 4521" in read(image)


def test_a_sixteen_bit_scan_is_reduced_to_eight_bits(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    wide = np.asarray(render_text(), dtype=np.uint16) * 257
    Image.fromarray(wide).save(path, format="PNG")

    image = load_image(path, max_pixels=MAX_PIXELS)

    assert image.dtype == np.uint8
    assert image.ndim == 2
    assert (image.min(), image.max()) == (0, 255)


def test_truncated_image_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    render_text().save(path, format="JPEG", quality=95)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(ConveyorError) as caught:
        load_image(path, max_pixels=MAX_PIXELS)

    assert caught.value.code == ErrorCode.INPUT_INVALID
    assert "corrupt or truncated" in caught.value.message


def test_the_pixel_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    render_text().save(path, format="PNG")

    with pytest.raises(ConveyorError) as caught:
        load_image(path, max_pixels=1000)

    assert caught.value.code == ErrorCode.INPUT_TOO_LARGE
