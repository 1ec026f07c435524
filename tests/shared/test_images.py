"""Upload-time image checks: format by content, pixel count from the header only."""

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from shared.errors import ConveyorError, ErrorCode
from shared.images import ALLOWED_FORMATS, inspect_image, sniff_image_format

LIMIT = 50_000_000


def _png_with_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height, with one tiny IDAT: a bomb costs 60 bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit gray
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _refused(path: Path, code: ErrorCode, *, max_pixels: int = LIMIT) -> ConveyorError:
    with pytest.raises(ConveyorError) as caught:
        inspect_image(path, max_pixels=max_pixels)
    assert caught.value.code == code
    return caught.value


@pytest.mark.parametrize(("pillow_format", "expected", "mime_type"), [
    ("JPEG", "jpeg", "image/jpeg"), ("PNG", "png", "image/png"),
    ("WEBP", "webp", "image/webp"), ("TIFF", "tiff", "image/tiff"),
])
def test_each_allowed_format_is_recognised_by_content(
        tmp_path: Path, pillow_format: str, expected: str, mime_type: str) -> None:
    path = tmp_path / "upload.bin"  # no telling extension: the content decides
    Image.new("RGB", (320, 240), "white").save(path, format=pillow_format)

    info = inspect_image(path, max_pixels=LIMIT)

    assert (info.format, info.width, info.height, info.mime_type) == (
        expected, 320, 240, mime_type)
    assert info.format in ALLOWED_FORMATS


def test_a_png_named_jpg_is_still_a_png(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.new("L", (40, 30), 255).save(path, format="PNG")

    assert inspect_image(path, max_pixels=LIMIT).format == "png"


@pytest.mark.parametrize("content", [
    b"Just some text, not an image at all.\n",
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
])
def test_other_content_is_refused_naming_the_allowed_formats(
        tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(content)

    error = _refused(path, ErrorCode.INPUT_INVALID)

    assert "JPEG, PNG, WEBP, TIFF" in error.message


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("pillow_format", ["PNG", "JPEG", "WEBP", "TIFF"])
def test_a_truncated_header_is_refused(tmp_path: Path, pillow_format: str) -> None:
    whole = tmp_path / "whole"
    Image.new("RGB", (64, 64), "white").save(whole, format=pillow_format)
    path = tmp_path / "cut"
    path.write_bytes(whole.read_bytes()[:14])  # magic bytes intact, header cut short

    error = _refused(path, ErrorCode.INPUT_INVALID)

    assert "truncated" in error.message


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_with_header(30_000, 30_000))  # 900 Mpx claimed, 67 bytes on disk

    error = _refused(path, ErrorCode.INPUT_TOO_LARGE)

    assert "900000000" in error.message
    assert str(LIMIT) in error.message


def test_pillows_own_bomb_warning_range_is_refused_too(tmp_path: Path) -> None:
    # 100 Mpx: above Pillow's warning threshold (~89 Mpx), below its hard error.
    path = tmp_path / "big.png"
    path.write_bytes(_png_with_header(10_000, 10_000))

    error = _refused(path, ErrorCode.INPUT_TOO_LARGE, max_pixels=200_000_000)

    assert "100000000" in error.message


def test_an_image_over_our_own_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (2000, 1500), "white").save(path, format="JPEG")

    error = _refused(path, ErrorCode.INPUT_TOO_LARGE, max_pixels=2_000_000)

    assert "2000x1500 = 3000000 pixels" in error.message
    assert "2000000" in error.message


def test_a_multi_frame_tiff_is_judged_by_its_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "scan.tiff"
    first, second = Image.new("L", (100, 50), 255), Image.new("L", (3000, 3000), 255)
    first.save(path, format="TIFF", save_all=True, append_images=[second])

    info = inspect_image(path, max_pixels=10_000)

    assert (info.width, info.height) == (100, 50)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.touch()

    error = _refused(path, ErrorCode.INPUT_INVALID)

    assert "empty" in error.message


def test_a_zero_width_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zero.png"
    path.write_bytes(_png_with_header(0, 100))

    _refused(path, ErrorCode.INPUT_INVALID)


@pytest.mark.parametrize(("head", "expected"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d", "png"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
    (b"II*\x00\x08\x00\x00\x00", "tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "tiff"),
    (b"GIF89a\x01\x00\x01\x00", "gif"),
    (b"BM\x3a\x00\x00\x00", "bmp"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
    (b"%PDF-1.4", None),
    (b"", None),
])
def test_sniff_image_format_reads_magic_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_image_format(head) == expected
