"""Image formats by their magic bytes, and the intake checks at upload time: format by
content, pixel count from the header.

Pillow only (no OpenCV/NumPy), so the API gateway can run them cheaply. `Image.open` is lazy:
it parses the header for format and size and decodes no pixel data, so a 30000x30000 PNG
bomb of a few hundred kilobytes is refused after reading a few bytes.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from shared.errors import ConveyorError, ErrorCode

# What an upload may be; the sniffer also knows formats a crawl downloads (GIF, BMP).
ALLOWED_FORMATS = ("jpeg", "png", "webp", "tiff")

_MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
               "tiff": "image/tiff"}
# Our format names -> Pillow's, so `Image.open` only tries the plugin the magic bytes chose.
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "tiff": "TIFF"}
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
SNIFF_BYTES = 12  # the longest magic: RIFF, four size bytes, WEBP
# What Pillow raises on a header it cannot parse (UnidentifiedImageError is an OSError).
_HEADER_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass(frozen=True, kw_only=True)
class ImageInfo:
    format: str  # one of ALLOWED_FORMATS
    width: int
    height: int
    mime_type: str


def sniff_image_format(head: bytes) -> str | None:
    """The image format the first bytes of a file announce, or None. Magic bytes only."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(head) >= SNIFF_BYTES and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in _TIFF_MAGICS:
        return "tiff"
    if head[:2] == b"BM":
        return "bmp"
    return None


def inspect_image(path: Path, *, max_pixels: int) -> ImageInfo:
    """Check an uploaded image by its content (never its name) and read its size.

    Only the header is parsed. A multi-frame TIFF (or animated WebP) is judged by its
    first frame, the only one the OCR worker reads. Raises ConveyorError INPUT_INVALID
    for an empty file, a format outside ALLOWED_FORMATS or an unreadable header, and
    INPUT_TOO_LARGE when width x height exceeds `max_pixels`.
    """
    image_format = _sniff_file(path)
    width, height = _read_size(path, image_format, max_pixels=max_pixels)
    if width <= 0 or height <= 0:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "The image has a width or height of zero.")
    if width * height > max_pixels:
        raise _too_large(f"{width}x{height} = {width * height} pixels", max_pixels)
    return ImageInfo(format=image_format, width=width, height=height,
                     mime_type=_MIME_TYPES[image_format])


def _sniff_file(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    if not head:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "The uploaded file is empty.")
    image_format = sniff_image_format(head)
    if image_format is None or image_format not in ALLOWED_FORMATS:
        allowed = ", ".join(name.upper() for name in ALLOWED_FORMATS)
        raise ConveyorError(ErrorCode.INPUT_INVALID,
                            f"The file is not a supported image; allowed formats: {allowed}.")
    return image_format


def _read_size(path: Path, image_format: str, *, max_pixels: int) -> tuple[int, int]:
    """Width and height from the header, with Pillow's own bomb guard turned into ours."""
    try:
        # Pillow warns above Image.MAX_IMAGE_PIXELS and raises above twice that, before we
        # see the size. Both mean "too large" here. (catch_warnings swaps the process-wide
        # filter list; the worst a race between threads can do is leave this one filter on.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[_PILLOW_FORMATS[image_format]]) as image:
                return image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large(_pillow_pixel_count(exc), max_pixels) from exc
    except _HEADER_ERRORS as exc:
        raise ConveyorError(
            ErrorCode.INPUT_INVALID,
            f"The {image_format.upper()} image header is unreadable or truncated.",
        ) from exc


def _pillow_pixel_count(exc: Exception) -> str:
    # Pillow's message reads "Image size (N pixels) exceeds limit of M pixels, ...".
    message = str(exc)
    if message.startswith("Image size (") and " pixels)" in message:
        return message[len("Image size ("):message.index(" pixels)")] + " pixels"
    return "more pixels than Pillow's safety limit"


def _too_large(pixels: str, max_pixels: int) -> ConveyorError:
    return ConveyorError(ErrorCode.INPUT_TOO_LARGE,
                         f"The image is too large: {pixels}, the limit is {max_pixels} pixels.")
