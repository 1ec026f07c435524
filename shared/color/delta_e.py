"""Colour differences between L*a*b* colours, vectorised: any shapes that broadcast.

CIEDE2000 follows Sharma, Wu and Dalal, "The CIEDE2000 Color-Difference Formula:
Implementation Notes, Supplementary Test Data, and Mathematical Observations", Color
Research & Application 30(1), 21-30, 2005; their 34 test pairs are a test of ours
(tests/shared/color/test_delta_e.py). CIE94 uses the graphic-arts weights (kL=1, K1=0.045,
K2=0.015) and is not symmetric: the first argument is the reference (the standard).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

Float = NDArray[np.float64]


class Formula(StrEnum):
    CIEDE2000 = "CIEDE2000"
    CIE94 = "CIE94"
    CIE76 = "CIE76"


def delta_e(reference: ArrayLike, sample: ArrayLike, formula: Formula = Formula.CIEDE2000
            ) -> Float:
    return _FORMULAS[formula](reference, sample)


def cie76(reference: ArrayLike, sample: ArrayLike) -> Float:
    difference = np.asarray(reference, dtype=np.float64) - np.asarray(sample, dtype=np.float64)
    return np.sqrt(np.sum(difference ** 2, axis=-1))


def cie94(reference: ArrayLike, sample: ArrayLike) -> Float:
    ref, smp = _split(reference), _split(sample)
    chroma_ref, chroma_smp = np.hypot(ref[1], ref[2]), np.hypot(smp[1], smp[2])
    delta_l, delta_c = ref[0] - smp[0], chroma_ref - chroma_smp
    delta_a, delta_b = ref[1] - smp[1], ref[2] - smp[2]
    # dH^2 = da^2 + db^2 - dC^2; rounding can make it slightly negative for equal hues.
    delta_h_sq = np.maximum(delta_a ** 2 + delta_b ** 2 - delta_c ** 2, 0.0)
    s_c, s_h = 1 + 0.045 * chroma_ref, 1 + 0.015 * chroma_ref
    return np.sqrt(delta_l ** 2 + (delta_c / s_c) ** 2 + delta_h_sq / s_h ** 2)


def ciede2000(reference: ArrayLike, sample: ArrayLike) -> Float:
    (l1, a1, b1), (l2, a2, b2) = _split(reference), _split(sample)
    c_mean7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_mean7 / (c_mean7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = _hue_degrees(b1, a1p), _hue_degrees(b2, a2p)
    achromatic = (c1p * c2p) == 0

    delta_hp = np.where(achromatic, 0.0, _wrap_hue_difference(h2p - h1p))
    delta_big_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(delta_hp) / 2)
    mean_h = np.where(achromatic, h1p + h2p, _mean_hue(h1p, h2p))
    mean_l, mean_c = (l1 + l2) / 2, (c1p + c2p) / 2

    t = (1 - 0.17 * np.cos(np.radians(mean_h - 30)) + 0.24 * np.cos(np.radians(2 * mean_h))
         + 0.32 * np.cos(np.radians(3 * mean_h + 6)) - 0.20 * np.cos(np.radians(4 * mean_h - 63)))
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / np.sqrt(20 + (mean_l - 50) ** 2)
    s_c = 1 + 0.045 * mean_c
    s_h = 1 + 0.015 * mean_c * t
    mean_c7 = mean_c ** 7
    rotation = (-2 * np.sqrt(mean_c7 / (mean_c7 + 25.0 ** 7))
                * np.sin(np.radians(60 * np.exp(-(((mean_h - 275) / 25) ** 2)))))
    term_l, term_c, term_h = (l2 - l1) / s_l, (c2p - c1p) / s_c, delta_big_h / s_h
    return np.sqrt(term_l ** 2 + term_c ** 2 + term_h ** 2 + rotation * term_c * term_h)


def _split(lab: ArrayLike) -> tuple[Float, Float, Float]:
    values = np.asarray(lab, dtype=np.float64)
    return values[..., 0], values[..., 1], values[..., 2]


def _hue_degrees(b: Float, a_prime: Float) -> Float:
    # A grey has no hue; atan2(0, -0.0) would say 180.
    grey = (b == 0) & (a_prime == 0)
    return np.where(grey, 0.0, np.degrees(np.arctan2(b, a_prime)) % 360)


def _wrap_hue_difference(difference: Float) -> Float:
    return np.where(difference > 180, difference - 360,
                    np.where(difference < -180, difference + 360, difference))


def _mean_hue(h1: Float, h2: Float) -> Float:
    total, apart = h1 + h2, np.abs(h1 - h2) > 180
    return np.where(~apart, total / 2, np.where(total < 360, (total + 360) / 2,
                                                 (total - 360) / 2))


_FORMULAS = {Formula.CIEDE2000: ciede2000, Formula.CIE94: cie94, Formula.CIE76: cie76}
