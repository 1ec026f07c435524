"""A small image dataset with a known verdict for every validation level (seed 004).

Scenes are drawn shapes, each from its own seed, so their perceptual hashes are far
apart; `near-copy.jpg` is `scene-a.jpg` scaled and re-encoded, so its hash is not.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, ImageDraw


def scene(seed: int, width: int = 320, height: int = 240) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = [x, y, x + int(rng.integers(10, 120)), y + int(rng.integers(10, 90))]
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=_colour(rng))
    return image


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in rng.integers(0, 256, 3))
    return red, green, blue


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def _blurred(image: Image.Image) -> Image.Image:
    return Image.fromarray(cv2.GaussianBlur(np.asarray(image), (0, 0), 3))


def _near_empty() -> Image.Image:
    image = Image.new("RGB", (200, 200), (255, 255, 255))
    ImageDraw.Draw(image).text((10, 10), "bird", fill=(0, 0, 0))
    return image


V, X = "valid", "invalid"
# name -> (declared Content-Type, bytes, {level: (verdict, reason codes)})
DATASET: dict[str, tuple[str, bytes, dict[str, tuple[str, set[str]]]]] = {
    "scene-a.jpg": ("image/jpeg", encode(scene(1), "JPEG", quality=90),
                    {"fast": (V, set()), "medium": (V, set()), "slow": (V, set())}),
    "scene-b.png": ("image/png", encode(scene(2), "PNG"),
                    {"fast": (V, set()), "medium": (V, set()), "slow": (V, set())}),
    "near-copy.jpg": ("image/jpeg", encode(scene(1).resize((300, 225)), "JPEG", quality=70),
                      {"fast": (V, set()), "medium": (V, set()),
                       "slow": (X, {"near_duplicate"})}),
    "blurry.jpg": ("image/jpeg", encode(_blurred(scene(3)), "JPEG", quality=90),
                   {"fast": (V, set()), "medium": (V, set()), "slow": (X, {"blurry"})}),
    "flat.png": ("image/png", encode(Image.new("RGB", (100, 80), (30, 90, 150)), "PNG"),
                 {"fast": (V, set()), "medium": (V, set()), "slow": (X, {"single_colour"})}),
    "near-empty.png": ("image/png", encode(_near_empty(), "PNG"),
                       {"fast": (V, set()), "medium": (V, set()),
                        "slow": (X, {"near_empty"})}),
    "tiny.png": ("image/png", encode(scene(4, 24, 20), "PNG"),
                 {"fast": (V, set()), "medium": (X, {"too_small"}),
                  "slow": (X, {"too_small"})}),
    "mislabelled.jpg": ("image/jpeg", encode(scene(5), "PNG"),
                        {"fast": (X, {"type_mismatch"}), "medium": (X, {"type_mismatch"}),
                         "slow": (X, {"type_mismatch"})}),
    "no-end.jpg": ("image/jpeg", encode(scene(6), "JPEG", quality=90)[:-2],
                   {"fast": (V, set()), "medium": (X, {"truncated"}),
                    "slow": (X, {"truncated"})}),
    "corrupt.png": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 40,
                    {"fast": (V, set()), "medium": (X, {"corrupt"}), "slow": (X, {"corrupt"})}),
    "scene-c.bmp": ("image/bmp", encode(scene(7), "BMP"),
                    {"fast": (V, set()), "medium": (X, {"format_not_allowed"}),
                     "slow": (X, {"format_not_allowed"})}),
}
# Of scene-a.jpg and near-copy.jpg, whichever the crawl kept second is the duplicate.
NEAR_DUPLICATE_PAIR = ("scene-a.jpg", "near-copy.jpg")


def expected(name: str, level: str) -> tuple[str, set[str]]:
    return DATASET[name][2][level]
