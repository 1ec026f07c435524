"""Decode an uploaded image to an upright 8-bit numpy array (Pillow and NumPy only).

The OCR and colour workers decode whole images here; the gateway decodes a colour upload
whole with a thumbnail for its dominant colours (`load_image_and_thumbnail`), or, when it
is too large to keep decoded, only a small version (`max_side`), and proves that receipt
and page uploads decode (`check_decodes`). The header is checked first
(`shared.images.inspect_image`: format by content, pixel limit), so no oversized image is
ever decoded.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from shared.errors import ConveyorError, ErrorCode
from shared.images import inspect_image

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError)
_SMALLEST_DRAFT = 1  # a draft size of 1 px asks a JPEG for its largest reduction (1/8)


def load_image(path: Path, *, max_pixels: int, color: bool = False,
               max_side: int | None = None) -> np.ndarray:
    """The first frame, upright (EXIF orientation applied), as gray (H, W) or BGR (H, W, 3);
    always BGR with `color`. Transparent pixels are flattened on white.

    `max_side`: shrink so the longer side is at most this many pixels; a JPEG is then
    decoded at a reduced scale to begin with (libjpeg's DCT scaling), several times faster
    than decoding it whole. Corrupt or truncated data -> ConveyorError INPUT_INVALID.
    """
    with _decoded(path, max_pixels=max_pixels, draft_side=max_side) as image:
        if max_side is not None:
            image.thumbnail((max_side, max_side), Image.Resampling.BOX)
        return _as_requested(image, color=color)


def check_decodes(path: Path, *, max_pixels: int) -> None:
    """Decode the first frame and drop it: an upload whose header is fine but whose data
    is truncated or corrupt is refused now (ConveyorError INPUT_INVALID), not by the job
    that would read it later. A JPEG is decoded at libjpeg's smallest scale, 1/8: all of
    its data is still read and entropy-decoded, in a third of the time and a 64th of the
    memory."""
    with _decoded(path, max_pixels=max_pixels, draft_side=_SMALLEST_DRAFT):
        pass


def load_image_and_thumbnail(path: Path, *, max_pixels: int, thumbnail_side: int
                             ) -> tuple[np.ndarray, np.ndarray]:
    """One decode, two BGR arrays: the whole upright image, as `load_image(color=True)`
    gives it, and a version at most `thumbnail_side` px long, as `max_side` gives it."""
    with _decoded(path, max_pixels=max_pixels, draft_side=None) as image:
        whole = _as_requested(image, color=True)
        image.thumbnail((thumbnail_side, thumbnail_side), Image.Resampling.BOX)
        return whole, _as_requested(image, color=True)


@contextmanager
def _decoded(path: Path, *, max_pixels: int, draft_side: int | None
             ) -> Iterator[Image.Image]:
    """The first frame decoded and upright; decoding errors become ConveyorErrors."""
    info = inspect_image(path, max_pixels=max_pixels)
    try:
        # Our own limit was checked above; Pillow's global one would only add noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=[info.format.upper()]) as image:
                if draft_side is not None:
                    image.draft("RGB", (draft_side, draft_side))
                image.load()
                # In place: the default returns a copy even when nothing turns (3 ms a photo).
                ImageOps.exif_transpose(image, in_place=True)
                yield image
    except Image.DecompressionBombError as exc:
        raise ConveyorError(ErrorCode.INPUT_TOO_LARGE, f"The image is too large: {exc}") from exc
    except _DECODE_ERRORS as exc:
        raise ConveyorError(
            ErrorCode.INPUT_INVALID,
            f"The {info.format.upper()} image could not be decoded; the file is corrupt or "
            f"truncated ({exc}).",
        ) from exc


def _as_requested(image: Image.Image, *, color: bool) -> np.ndarray:
    array = _to_array(image)
    if color and array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    return array


def _to_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _stretch_to_uint8(np.asarray(image))  # 16-bit or float scans
    if image.mode in ("1", "L"):
        return np.asarray(image.convert("L"))
    if "A" in image.getbands() or "transparency" in image.info:
        image = _flatten_on_white(image)
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    # OpenCV's channel order, packed by Pillow: 2-3 ms for 1920x1080, where a NumPy
    # [..., ::-1] copy took 10. The bytearray keeps the array writable.
    bgr = bytearray(rgb.tobytes("raw", "BGR"))
    return np.frombuffer(bgr, np.uint8).reshape(rgb.height, rgb.width, 3)


def _flatten_on_white(image: Image.Image) -> Image.Image:
    # A transparent PNG of black text: plain convert("RGB") would make the background
    # black too, and the text would vanish.
    background = Image.new("RGBA", image.size, "white")
    background.alpha_composite(image.convert("RGBA"))
    return background.convert("RGB")


def _stretch_to_uint8(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.full(values.shape, 255, dtype=np.uint8)
    scaled = (values.astype(np.float32) - low) * (255.0 / (high - low))
    return scaled.astype(np.uint8)
