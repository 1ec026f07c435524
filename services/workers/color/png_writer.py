"""The result PNG, deflated with ISA-L (`isal`) instead of zlib.

Writing the PNG was the largest single cost of a transfer job: libpng over the system zlib
took 55 ms for a 1920x1080 result even uncompressed (level 0) and 70-76 ms with the
cheapest useful compression, where ISA-L deflates the same rows in 16 ms. libpng cannot
be handed another deflater, and the wheels that bundle a faster one (imagecodecs' png and
spng) measured 133-149 ms, so this module writes the container itself: a signature and
three chunks (PNG spec, W3C 2003, sections 5 and 11), which are a few lines, while the
deflate stream comes from the library.

Rows are stored unfiltered (filter type 0): a transferred image holds few distinct
colours (one per L* level when unmasked), and LZ77 finds the repeating pixels directly;
the SUB filter that suited zlib's Huffman-only mode made the same file 58 % larger here.
(Measured on bench.color_pipeline's 1920x1080 surface; see bench/RESULTS.md.)
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
from isal import isal_zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPES = {1: 0, 3: 2}  # channels -> PNG colour type (grey, truecolour)
_INDEXED = 3  # PNG colour type: palette indices, the palette in a PLTE chunk
_DEFLATE_LEVEL = 1  # ISA-L levels 0-3; 1 was as fast as 0 and 20 % smaller


def png_bytes(image: np.ndarray) -> bytes:
    """An 8-bit grey (H, W) or BGR (H, W, 3) image as PNG file bytes."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected an 8-bit grey or BGR image, got {image.dtype} "
                         f"{image.shape}")
    pixels = image if image.ndim == 3 else image[:, :, None]
    channels = pixels.shape[2]
    if channels not in _COLOUR_TYPES:
        raise ValueError(f"expected 1 or 3 channels, got {channels}")
    # OpenCV swaps the channels in 1 ms where a NumPy [..., ::-1] copy took 10.
    rgb = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB) if channels == 3 else pixels
    return _png(rgb, colour_type=_COLOUR_TYPES[channels])


def indexed_png_bytes(index: np.ndarray, palette: np.ndarray) -> bytes:
    """An image given as (H, W) uint8 indices into a (N <= 256, 3) uint8 BGR palette, as
    an indexed-colour PNG: one byte a pixel to deflate instead of three (a third of the
    time), and a smaller file. Every decoder shows it as the truecolour image it is."""
    if index.dtype != np.uint8 or index.ndim != 2:
        raise ValueError(f"expected 8-bit indices (H, W), got {index.dtype} {index.shape}")
    if palette.dtype != np.uint8 or palette.ndim != 2 or palette.shape[1] != 3 \
            or not 0 < len(palette) <= 256:
        raise ValueError(f"expected a (N <= 256, 3) 8-bit palette, got {palette.shape}")
    if int(index.max(initial=0)) >= len(palette):
        raise ValueError("an index points past the end of the palette")
    plte = np.ascontiguousarray(palette[:, ::-1]).tobytes()  # BGR -> RGB
    return _png(index[:, :, None], colour_type=_INDEXED, before_data=((b"PLTE", plte),))


def _png(pixels: np.ndarray, *, colour_type: int,
         before_data: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
    """The file: `pixels` (H, W, samples per pixel) as rows, `before_data` chunks first."""
    height, width, channels = pixels.shape
    rows = np.empty((height, 1 + width * channels), np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = pixels.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join((_SIGNATURE, _chunk(b"IHDR", header),
                     *(_chunk(kind, data) for kind, data in before_data),
                     _chunk(b"IDAT", isal_zlib.compress(rows, _DEFLATE_LEVEL)),
                     _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(data, zlib.crc32(kind)))
