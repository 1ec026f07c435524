"""The three validation levels of seed 004, as pure functions of a kept file's bytes.

- fast: the bytes on disk are the ones kept (size), their magic bytes name the format
  recorded at download, and the declared Content-Type does not contradict it;
- medium: fast, plus a full decode (truncation included), the pixel limit, the allowed
  formats and a minimum width and height;
- slow: medium, plus single-colour and near-empty images, blur (variance of the
  Laplacian) and the perceptual hash used to find near-duplicates within the job.
Each check that fails adds a `Reason`; an image with none is valid.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from services.workers.crawl.validation.hashing import perceptual_hash
from shared.crawl.formats import declared_format_agrees
from shared.crawl.params import ValidationLevel
from shared.images import SNIFF_BYTES, sniff_image_format

# Declared types that name no format, so they cannot contradict the bytes.
_UNSPECIFIC_TYPES = ("", "application/octet-stream", "binary/octet-stream")
ANALYSIS_SIDE = 512  # slow-level measures are taken on the image scaled to this long side
_SINGLE_COLOUR_STDDEV = 2.0  # per channel, in 8-bit levels
_TONE_TOLERANCE = 10  # grey levels around the median that count as "the same tone"
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError,
                  Image.DecompressionBombError)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, kw_only=True)
class Rules:
    max_bytes: int
    max_pixels: int
    min_width: int
    min_height: int
    allowed_formats: frozenset[str]
    blur_threshold: float
    near_empty_share: float


@dataclass(frozen=True, kw_only=True)
class KeptFile:
    """What the crawl recorded about a kept image, and its bytes (None: file gone)."""

    size_bytes: int
    declared_type: str | None
    detected_format: str
    body: bytes | None


@dataclass(kw_only=True)
class Findings:
    reasons: list[Reason] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    perceptual_hash: str | None = None  # 16 hex digits, slow level only

    def add(self, code: str, message: str) -> None:
        self.reasons.append(Reason(code, message))


def check(kept: KeptFile, level: ValidationLevel, rules: Rules) -> Findings:
    findings = Findings()
    _check_fast(kept, rules, findings)
    if level is ValidationLevel.FAST or kept.body is None or findings.reasons:
        return findings
    image = _check_medium(kept.body, kept.detected_format, rules, findings)
    if level is ValidationLevel.SLOW and image is not None:
        _check_slow(image, rules, findings)
    return findings


def _check_fast(kept: KeptFile, rules: Rules, findings: Findings) -> None:
    if kept.body is None:
        findings.add("missing_file", "the stored file is gone (removed by retention?)")
        return
    size = len(kept.body)
    if size != kept.size_bytes:
        findings.add("size_mismatch", f"the file holds {size} bytes, {kept.size_bytes} "
                     "were downloaded")
    if size > rules.max_bytes:
        findings.add("too_large", f"{size} bytes, over the {rules.max_bytes}-byte limit")
    sniffed = sniff_image_format(kept.body[:SNIFF_BYTES])
    if sniffed is None:
        findings.add("unknown_format", "the magic bytes name no image format")
    elif sniffed != kept.detected_format:
        findings.add("format_mismatch", f"the bytes are {sniffed}, {kept.detected_format} "
                     "was recorded")
    declared = (kept.declared_type or "").split(";")[0].strip().lower()
    if sniffed and declared not in _UNSPECIFIC_TYPES \
            and not declared_format_agrees(declared, sniffed):
        findings.add("type_mismatch", f"declared {declared}, but the bytes are {sniffed}")


def _check_medium(body: bytes, image_format: str, rules: Rules,
                  findings: Findings) -> Image.Image | None:
    """Decode the whole image; the decoded image for the slow level, or None."""
    if image_format not in rules.allowed_formats:
        findings.add("format_not_allowed", f"{image_format} is not one of "
                     f"{', '.join(sorted(rules.allowed_formats))}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own bomb warning: we check below
            image = Image.open(io.BytesIO(body))
    except _DECODE_ERRORS as exc:
        findings.add("corrupt", f"the image header cannot be read: {exc}")
        return None
    findings.width, findings.height = image.size
    if image.width * image.height > rules.max_pixels:
        findings.add("too_many_pixels", f"{image.width}x{image.height} is over the "
                     f"{rules.max_pixels}-pixel limit")
        return None
    try:
        image.load()
    except _DECODE_ERRORS as exc:
        cut_short = "truncated" in str(exc) or not _ends_complete(body, image_format)
        findings.add("truncated" if cut_short else "corrupt",
                     f"the image cannot be decoded: {exc}")
        return None
    if not _ends_complete(body, image_format):
        findings.add("truncated", f"the {image_format} file ends before its end marker")
    if image.width < rules.min_width or image.height < rules.min_height:
        findings.add("too_small", f"{image.width}x{image.height} is under the minimum "
                     f"{rules.min_width}x{rules.min_height}")
    return image


def _ends_complete(body: bytes, image_format: str) -> bool:
    """The format's end marker is there. Pillow decodes a JPEG without its EOI and a PNG
    without IEND silently; those files were cut short all the same."""
    if image_format == "jpeg":
        return body.rfind(b"\xff\xd9") > 2
    if image_format == "png":
        return body.rfind(b"IEND") > 8
    if image_format == "gif":
        return body.rstrip(b"\x00").endswith(b";")
    if image_format == "webp":
        return len(body) >= 8 + int.from_bytes(body[4:8], "little")
    return True


def _check_slow(image: Image.Image, rules: Rules, findings: Findings) -> None:
    rgb = _analysis_pixels(image)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    findings.perceptual_hash = perceptual_hash(grey)
    spread = float(rgb.reshape(-1, 3).std(axis=0).max())
    if spread < _SINGLE_COLOUR_STDDEV:
        findings.add("single_colour", f"one colour throughout (spread {spread:.1f} levels)")
        return  # blur means nothing on a flat image
    median = float(np.median(grey))
    share = float(np.mean(np.abs(grey.astype(np.int16) - median) <= _TONE_TOLERANCE))
    if share >= rules.near_empty_share:
        findings.add("near_empty", f"{share:.1%} of the image is one tone")
        return
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    if sharpness < rules.blur_threshold:
        findings.add("blurry", f"variance of the Laplacian {sharpness:.1f} is under "
                     f"{rules.blur_threshold:g}")


def _analysis_pixels(image: Image.Image) -> np.ndarray:
    """RGB pixels, the first frame, scaled down to ANALYSIS_SIDE on the long side: the
    measures then mean the same for a thumbnail and a 24-megapixel photo."""
    rgb = np.asarray(image.convert("RGB"))
    long_side = max(rgb.shape[:2])
    if long_side > ANALYSIS_SIDE:
        scale = ANALYSIS_SIDE / long_side
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return rgb
