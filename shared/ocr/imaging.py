"""Prepare a decoded image (`shared.image_decode.load_image`) for Tesseract.

`prepare` turns that into a uint8 image of the text on white paper, in steps:

1. `to_gray`           colour carries nothing Tesseract uses.
2. `crop_to_paper`     cut a photo down to the (straightened) paper.
   (turn)              text lines running top to bottom are turned a quarter to run across
                       (`shared.ocr.orientation`).
3. `rescale_for_ocr`   bring the text height near what Tesseract reads best; cap the size.
4. `denoise`           3x3 median: sensor and JPEG speckle, without blurring stroke edges.
5. `deskew`            estimate the text-line angle (within +-15 degrees) and rotate back.
6. `flatten_background` divide by the paper's own brightness: shadows, yellowed paper and
                       a scanner's black edges become white paper.
7. `deepen_ink`        stretch faint print until its typical stroke is dark.

The result is grey, not binary: Tesseract's recogniser reads the strokes' grey levels (a
binary image lost items on generated receipts) and binarises by itself.

Measured on the 60 real receipts of ../shared/data/receipts-sroie (`bench.receipts_real`):
the share of the transcribed words Tesseract read was 0.733 with the earlier adaptive
threshold ("whitened paper"), 0.79 with steps 6 and 7. Rejected denoisers (on generated
phone photos): fastNlMeansDenoising (65-650 ms, read no better than the median), median 5
(misread digits, lost diacritic dots), median 3 + Gaussian (lost the dot of Ż).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from shared.ocr.orientation import lines_run_vertically

logger = logging.getLogger(__name__)

# One thread per OpenCV call, for the reason Tesseract gets OMP_THREAD_LIMIT=1: the worker
# runs one process per core, so OpenCV's own pool (a thread per core in every process)
# only adds contention. Measured on the benchmark receipts, 2 cores: preprocessing took
# 16.4 ms of CPU with the pool against 14.2 ms without (11.8 and 14.3 ms wall, one alone).
cv2.setNumThreads(1)

# Text height = median height of character-sized blobs: close to the x-height in mixed-case
# text (DejaVu Sans Mono at 28 px measures 15) and to the cap height in capitals and digits.
# Tesseract reads it well from ~14 px; smaller text is scaled up to 22 px (about 10 pt at
# 300 dpi), by at most 3x so a blurry thumbnail is not blown up without end. Text over 72 px
# gains nothing in accuracy and only costs time, so it is scaled down.
_MIN_TEXT_HEIGHT = 14.0
_MAX_TEXT_HEIGHT = 72.0
_TARGET_TEXT_HEIGHT = 22.0
_MAX_UPSCALE = 3.0
_MIN_GLYPH_HEIGHT = 6  # smaller blobs are specks; text this small is unreadable anyway
_MAX_INK_SHARE = 0.25  # a page darker than its surroundings over 1/4 of it is not text
_MAX_OCR_PIXELS = 16_000_000  # Tesseract time and memory grow with the page; ~4000x4000
_MAX_SKEW_DEGREES = 15.0
_MIN_ROTATION_DEGREES = 0.3  # below this, rotating only blurs; Tesseract copes
_SKEW_SAMPLE_POINTS = 20_000  # text pixels sampled for the projection profile (60 000: 15 ms)
# Adaptive threshold window: a few strokes wide at the normalised text height, so the
# inside of a thick stroke is still compared with the paper around it; C keeps flat paper
# (pixel ~ local mean) white instead of turning it into salt-and-pepper.
_THRESHOLD_BLOCK = 41
_THRESHOLD_C = 15
# The paper's brightness: a closing wider than a stroke (3-5 px at the normalised height)
# and than a glyph's inside (a bold "M" at ~22 px), so that no print survives it.
_PAPER_KERNEL = 31
# Faint print is stretched until its median ink pixel is this dark, by at most this gain.
_INK_TARGET = 40.0
_MAX_INK_GAIN = 8.0
# Paper detection: the brightest blob must cover a real share of the photo but not all of
# it (then there is nothing around it to cut away); its edge pixels are cut off too.
_MIN_PAPER_SHARE = 0.15
_MAX_PAPER_SHARE = 0.97
_PAPER_EDGE_PIXELS = 6
_MAX_PAPER_BORDER_SHARE = 0.5


@dataclass(frozen=True, kw_only=True)
class PreparedPage:
    image: np.ndarray
    turned_degrees: int  # clockwise, to bring text lines that ran vertically upright


def prepare(image: np.ndarray) -> PreparedPage:
    """Gray or BGR uint8 image -> uint8 image for Tesseract (white paper, dark ink, text
    lines across), and whether it was turned a quarter: text lines running top to bottom
    are turned clockwise to run across (a page that was turned the
    other way then reads upside down, which `shared.ocr.reading` finds)."""
    gray = crop_to_paper(to_gray(image))
    turned = 0
    # Before scaling: the text height is measured on glyphs standing upright.
    if lines_run_vertically(gray):
        gray, turned = cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE), 90
    prepared = deepen_ink(flatten_background(deskew(denoise(rescale_for_ocr(gray)))))
    return PreparedPage(image=prepared, turned_degrees=turned)


def crop_to_paper(gray: np.ndarray) -> np.ndarray:
    """The bright paper quadrilateral of a photo, straightened; the image itself when no
    clear paper shape stands out (a scan, a screenshot).

    A table or hand around the receipt makes Tesseract's layout analysis split the page:
    on generated receipt photos the whole amounts column was dropped on most of them.
    """
    _, mask = cv2.threshold(cv2.GaussianBlur(gray, (0, 0), 3), 0, 255,
                            cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return gray
    paper = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(paper) / gray.size
    if not _MIN_PAPER_SHARE <= share <= _MAX_PAPER_SHARE or _along_border(paper, gray.shape):
        return gray
    corners = _paper_corners(paper)
    width = int(max(np.linalg.norm(corners[0] - corners[1]),
                    np.linalg.norm(corners[3] - corners[2])))
    height = int(max(np.linalg.norm(corners[0] - corners[3]),
                     np.linalg.norm(corners[1] - corners[2])))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    flat = cv2.warpPerspective(gray, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    margin = _PAPER_EDGE_PIXELS
    return flat[margin:-margin, margin:-margin] if min(flat.shape) > 4 * margin else flat


def _along_border(contour: np.ndarray, shape: tuple[int, ...]) -> bool:
    """True when most of the blob's outline is the image edge: not paper lying on a table
    but the bright part of a page in a shadow (or a page filling the frame)."""
    points = contour.reshape(-1, 2)
    height, width = shape[:2]
    on_edge = ((points[:, 0] <= 1) | (points[:, 1] <= 1)
               | (points[:, 0] >= width - 2) | (points[:, 1] >= height - 2))
    return bool(on_edge.mean() > _MAX_PAPER_BORDER_SHARE)


def _paper_corners(contour: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left of the contour's quadrilateral."""
    hull = cv2.convexHull(contour)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(quad) != 4:
        quad = cv2.boxPoints(cv2.minAreaRect(contour))
    points = quad.astype(np.float32)
    sums, diffs = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array([points[sums.argmin()], points[diffs.argmin()],
                     points[sums.argmax()], points[diffs.argmax()]], dtype=np.float32)


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")


def rescale_for_ocr(gray: np.ndarray) -> np.ndarray:
    """Scale so the text height is near _TARGET_TEXT_HEIGHT, within the pixel cap."""
    text_height = estimate_text_height(gray)
    scale = 1.0
    if text_height is not None and not _MIN_TEXT_HEIGHT <= text_height <= _MAX_TEXT_HEIGHT:
        scale = min(_TARGET_TEXT_HEIGHT / text_height, _MAX_UPSCALE)
    scale = min(scale, math.sqrt(_MAX_OCR_PIXELS / gray.size))
    if abs(scale - 1.0) < 0.05:
        return gray
    # Cubic keeps upscaled strokes smooth; area averaging avoids aliasing when shrinking.
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation)


def estimate_text_height(gray: np.ndarray) -> float | None:
    """Median height of character-sized dark blobs; None for too few blobs or for noise.

    Noise must not count as tiny text: blown up 3x it costs Tesseract ~10x the time.
    """
    mask = _text_mask(gray, block=_odd(max(15, min(gray.shape) // 20)))
    if np.count_nonzero(mask) > _MAX_INK_SHARE * mask.size:
        return None
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    # Characters: not specks, not page-sized, not long rules or borders.
    is_glyph = ((heights >= _MIN_GLYPH_HEIGHT) & (heights <= gray.shape[0] / 4)
                & (widths <= 3 * heights))
    if int(is_glyph.sum()) < 10:
        return None
    return float(np.median(heights[is_glyph]))


def denoise(gray: np.ndarray) -> np.ndarray:
    # At the normalised text size strokes are >= 3 px wide, so a 3x3 median removes
    # isolated speckle without eating strokes (on unscaled tiny text it would).
    return cv2.medianBlur(gray, 3)


def deskew(gray: np.ndarray) -> np.ndarray:
    """Rotate the image so its text lines are horizontal (skew up to +-15 degrees)."""
    angle = estimate_skew_degrees(gray)
    if abs(angle) < _MIN_ROTATION_DEGREES:
        return gray
    return rotate_degrees(gray, -angle)


def estimate_skew_degrees(gray: np.ndarray) -> float:
    """Angle of the text lines in degrees, counter-clockwise as seen on screen (0 if none).

    Projection profile: text pixels are projected onto the normal of a candidate line
    direction; at the true angle the lines fall into narrow, tall peaks, so the sum of
    squared histogram bins is largest. A coarse 1-degree search over +-15 degrees is refined
    in 0.1-degree steps. A random sample of text pixels keeps it a few milliseconds.
    """
    points = _text_points(gray)
    if points is None:
        return 0.0
    coarse = np.arange(-_MAX_SKEW_DEGREES, _MAX_SKEW_DEGREES + 0.5, 1.0)
    best = _best_angle(points, coarse)
    fine = np.arange(best - 1.0, best + 1.05, 0.1)
    return round(float(np.clip(_best_angle(points, fine), -15.0, 15.0)), 2)


def _text_points(gray: np.ndarray) -> np.ndarray | None:
    """(x, y) float coordinates of a sample of text pixels, or None when there are few."""
    ys, xs = np.nonzero(_text_mask(gray, block=_THRESHOLD_BLOCK))
    if xs.size < 200:
        return None
    if xs.size > _SKEW_SAMPLE_POINTS:
        pick = np.random.default_rng(0).choice(xs.size, _SKEW_SAMPLE_POINTS, replace=False)
        xs, ys = xs[pick], ys[pick]
    return np.stack([xs, ys]).astype(np.float32)


def _best_angle(points: np.ndarray, angles: np.ndarray) -> float:
    scores = []
    for angle in angles:
        radians = math.radians(float(angle))
        # Distance along the normal of a line rising at `angle` (image y points down).
        offsets = points[1] * math.cos(radians) + points[0] * math.sin(radians)
        bins = np.bincount((offsets - offsets.min()).astype(np.int64))
        scores.append(float(np.dot(bins, bins)))
    return float(angles[int(np.argmax(scores))])


def rotate_degrees(gray: np.ndarray, angle: float) -> np.ndarray:
    """Rotate counter-clockwise by `angle` degrees, growing the canvas so nothing is cut."""
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_width / 2 - width / 2
    matrix[1, 2] += new_height / 2 - height / 2
    # Fill the new corners by repeating the edge pixels: a constant fill next to unevenly
    # lit paper draws a hard edge that the adaptive threshold turns into a black line.
    return cv2.warpAffine(gray, matrix, (new_width, new_height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def flatten_background(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper's own brightness: even paper, whatever the lighting.

    The paper is the image with the ink closed over (a grey closing wider than any stroke
    at the normalised text height). Dividing by it turns a shadow, a yellowed thermal roll
    or the black edge of a scanner bed into white paper, and keeps each stroke's darkness
    relative to the paper around it. Tesseract binarises with one global (Otsu) threshold:
    on SROIE receipt 414, faint grey print beside a black scanner edge, it read nothing
    until the edge was gone.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (_PAPER_KERNEL, _PAPER_KERNEL))
    paper = cv2.medianBlur(cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel), 5)
    return cv2.divide(gray, paper, scale=255)


def deepen_ink(gray: np.ndarray) -> np.ndarray:
    """Stretch faint print so its typical stroke is dark, white paper staying white.

    Faded thermal print sits a few grey levels under the paper; the recogniser reads strokes
    by their grey levels, so the contrast is stretched until the median ink pixel reaches
    _INK_TARGET (at most _MAX_INK_GAIN times), never reduced.
    """
    ink = gray[_text_mask(gray, block=_THRESHOLD_BLOCK) > 0]
    if ink.size < 100:
        return gray
    gain = min(_MAX_INK_GAIN, (255.0 - _INK_TARGET) / max(1.0, 255.0 - float(np.median(ink))))
    if gain <= 1.0:
        return gray
    table = np.clip(255.0 - (255.0 - np.arange(256)) * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(gray, table)


def _text_mask(gray: np.ndarray, *, block: int) -> np.ndarray:
    """255 where a pixel is clearly darker than its surroundings (ink), else 0."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                 block, _THRESHOLD_C)


def _odd(value: int) -> int:
    return value if value % 2 else value + 1
