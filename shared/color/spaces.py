"""sRGB <-> CIELAB, vectorised over any leading shape (..., 3).

Our L*a*b* is relative to D65 with the CIE 1964 10° observer, the reference the RAL
palette is published in. sRGB is defined on D65 with the 2° observer, so XYZ is adapted
between the two white points with the Bradford transform. That choice reproduces the
public sRGB hex codes of RAL colours (e.g. RAL 1003 -> #F9A800; reading the same L*a*b*
as D65/2° gives #FAA800).

The transfer in `services.workers.color.transfer` works in OpenCV's 8-bit Lab instead (D65/2°,
for speed); `to_opencv_lab` converts a palette colour into that space.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Float = NDArray[np.float64]

WHITE_D65_2 = np.array([0.95047, 1.0, 1.08883])  # sRGB's white, CIE 1931 2°
WHITE_D65_10 = np.array([0.94811, 1.0, 1.07304])  # ASTM E308, CIE 1964 10°

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614],
                      [-0.7502, 1.7135, 0.0367],
                      [0.0389, -0.0685, 1.0296]])


def _adaptation(source: Float, target: Float) -> Float:
    cone_ratio = (_BRADFORD @ target) / (_BRADFORD @ source)
    return np.linalg.inv(_BRADFORD) @ np.diag(cone_ratio) @ _BRADFORD


_RGB_TO_XYZ10 = _adaptation(WHITE_D65_2, WHITE_D65_10) @ _SRGB_TO_XYZ
_XYZ10_TO_RGB = np.linalg.inv(_RGB_TO_XYZ10)
_XYZ10_TO_XYZ2 = _adaptation(WHITE_D65_10, WHITE_D65_2)

_EPSILON = 216 / 24389  # CIE's exact constants, not the rounded 0.008856 / 903.3
_KAPPA = 24389 / 27


def srgb_to_linear(rgb255: ArrayLike) -> Float:
    """Encoded sRGB on 0..255 -> linear; mirrored below 0 so out-of-gamut values round-trip."""
    values = np.asarray(rgb255)
    if values.dtype == np.uint8:  # pixels: the same values from a table, ~10x faster
        return _LINEAR_OF_CODE[values]
    encoded = values.astype(np.float64) / 255.0
    magnitude = np.abs(encoded)
    return np.sign(encoded) * np.where(magnitude <= 0.04045, magnitude / 12.92,
                                       ((magnitude + 0.055) / 1.055) ** 2.4)


_LINEAR_OF_CODE = srgb_to_linear(np.arange(256, dtype=np.float64))


def linear_to_srgb(linear: Float) -> Float:
    """Linear RGB -> encoded sRGB on 0..255, NOT clipped (out-of-gamut values stay visible)."""
    magnitude = np.abs(linear)
    encoded = np.where(magnitude <= 0.0031308, 12.92 * magnitude,
                       1.055 * magnitude ** (1 / 2.4) - 0.055)
    return np.sign(linear) * encoded * 255.0


def xyz_to_lab(xyz: Float, white: Float) -> Float:
    ratio = xyz / white
    f = np.where(ratio > _EPSILON, np.cbrt(ratio), (_KAPPA * ratio + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_to_xyz(lab: ArrayLike, white: Float) -> Float:
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    cubed = f ** 3
    ratio = np.where(cubed > _EPSILON, cubed, (116 * f - 16) / _KAPPA)
    ratio[..., 1] = np.where(lab[..., 0] > _KAPPA * _EPSILON, cubed[..., 1],
                             lab[..., 0] / _KAPPA)
    return ratio * white


def srgb_to_lab(rgb255: ArrayLike) -> Float:
    """sRGB 0..255 (any float or int) -> L*a*b* (D65, 10°)."""
    return xyz_to_lab(srgb_to_linear(rgb255) @ _RGB_TO_XYZ10.T, WHITE_D65_10)


def lab_to_srgb(lab: ArrayLike) -> Float:
    """L*a*b* (D65, 10°) -> sRGB on 0..255, unclipped: outside 0..255 means out of gamut."""
    return linear_to_srgb(lab_to_xyz(lab, WHITE_D65_10) @ _XYZ10_TO_RGB.T)


def in_srgb_gamut(rgb: Float) -> NDArray[np.bool_]:
    """Whether unclipped sRGB values are displayable (half a code value of slack)."""
    return np.all((rgb >= -0.5) & (rgb <= 255.5), axis=-1)


def to_rgb8(rgb: Float) -> NDArray[np.uint8]:
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def to_opencv_lab(lab: ArrayLike) -> Float:
    """Our L*a*b* (D65/10°) -> OpenCV's 8-bit Lab scale (D65/2°: L*255/100, a+128, b+128),
    unrounded, for comparing with `cv2.cvtColor(..., COLOR_BGR2LAB)` output."""
    xyz2 = lab_to_xyz(lab, WHITE_D65_10) @ _XYZ10_TO_XYZ2.T
    lab2 = xyz_to_lab(xyz2, WHITE_D65_2)
    return lab2 * np.array([255 / 100, 1.0, 1.0]) + np.array([0.0, 128.0, 128.0])


def parse_hex(text: str) -> tuple[int, int, int]:
    """'#RRGGBB', 'RRGGBB', '#RGB' or 'RGB' -> (r, g, b); ValueError otherwise."""
    digits = text.strip().removeprefix("#")
    if len(digits) == 3:
        digits = "".join(char * 2 for char in digits)
    if len(digits) != 6 or any(char not in "0123456789abcdefABCDEF" for char in digits):
        raise ValueError(f"not a hex colour: {text!r} (expected #RRGGBB or #RGB)")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb8: ArrayLike) -> str:
    red, green, blue = (int(value) for value in np.asarray(rgb8).ravel()[:3])
    return f"#{red:02X}{green:02X}{blue:02X}"
