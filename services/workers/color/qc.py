"""The quality report of a colour transfer: measured on the processed region, with the
thresholds it is judged against stated in the report itself.

- `delta_e_mean`: CIEDE2000 between the target and the mean L*a*b* of the region.
- `delta_e_p95`: the 95th percentile of the per-pixel CIEDE2000 to the target. It includes
  the lightness texture the transfer keeps on purpose, so it is reported, not judged.
- `delta_e_chroma_p95`: the same with each pixel's L* set to the target's: how far the
  colour itself (not the shading) strays. Judged.
- `lightness_correlation`: Pearson correlation of L* between input and output over the
  region: 1.0 means the lightness structure is preserved exactly (up to scale and shift).
- `clipped_share`: the share of region pixels that the transfer pushed to 0 or 255 in some
  sRGB channel where the input was not: detail lost at the gamut's edge. A channel in
  which the target itself sits at that edge (RAL 1003's blue is 0) does not count: a
  pixel there shows the target and loses nothing the target could keep.

A target outside the sRGB gamut (30 RAL Classic colours, `in_srgb_gamut` false in the
palette) cannot be shown exactly by any sRGB image. The report states how far the nearest
the transform can get (the target clipped to sRGB) lies from it, `target_gamut_gap`
(CIEDE2000), and both Delta E limits are widened by that gap: the result is judged on
what sRGB can show, while the measured Delta E is still to the true target.

The region is every pixel without a mask; with one, the pixels it fully recolours (alpha
>= 250): a soft edge is half original by design and would blur the colour measures.
Statistics use at most `SAMPLE_PIXELS` region pixels, evenly spaced, so the report costs
the same for any image size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from services.workers.color.transfer import Transfer
from shared.color import spaces
from shared.color.delta_e import ciede2000

# 20 000 evenly spaced pixels put a 95th percentile within a fraction of a unit of the
# whole region's; 50 000 cost 26 ms a report, 20 000 about 10.
SAMPLE_PIXELS = 20_000
_FULLY_RECOLOURED = 250
# For a target inside sRGB; the Delta E limits grow by the gap of one outside it.
THRESHOLDS = {"delta_e_mean_max": 2.0, "delta_e_chroma_p95_max": 5.0,
              "lightness_correlation_min": 0.95, "clipped_share_max": 0.02}
_HALF_CODE_VALUE = 0.5


def quality_report(result: Transfer, target_lab: ArrayLike) -> dict[str, Any]:
    target = np.asarray(target_lab, dtype=np.float64)
    target_rgb = spaces.lab_to_srgb(target)
    in_gamut = bool(spaces.in_srgb_gamut(target_rgb))
    gap = 0.0 if in_gamut else float(ciede2000(
        target, spaces.srgb_to_lab(np.clip(target_rgb, 0, 255))))
    thresholds = {**THRESHOLDS,
                  "delta_e_mean_max": round(THRESHOLDS["delta_e_mean_max"] + gap, 4),
                  "delta_e_chroma_p95_max": round(THRESHOLDS["delta_e_chroma_p95_max"] + gap, 4)}
    before, after = _region_samples(result)
    # A result holds few distinct colours (one per input L* without a mask): each colour's
    # Delta E is computed once, then spread to its pixels (the same numbers, 6 ms less).
    colours, which = _distinct_colours(after)
    lab_colours = spaces.srgb_to_lab(colours)
    flat = lab_colours.copy()
    flat[:, 0] = target[0]
    lab_before, lab_after = spaces.srgb_to_lab(before), lab_colours[which]
    measured = {
        "delta_e_mean": float(ciede2000(target, lab_after.mean(axis=0))),
        "delta_e_p95": float(np.percentile(ciede2000(target, lab_colours)[which], 95)),
        "delta_e_chroma_p95": float(np.percentile(ciede2000(target, flat)[which], 95)),
        "lightness_correlation": _correlation(lab_before[:, 0], lab_after[:, 0]),
        "clipped_share": _newly_clipped_share(before, after, target_rgb),
    }
    checks = {
        "delta_e_mean": measured["delta_e_mean"] <= thresholds["delta_e_mean_max"],
        "delta_e_chroma_p95": (measured["delta_e_chroma_p95"]
                               <= thresholds["delta_e_chroma_p95_max"]),
        "lightness_correlation": (measured["lightness_correlation"]
                                  >= thresholds["lightness_correlation_min"]),
        "clipped_share": measured["clipped_share"] <= thresholds["clipped_share_max"],
    }
    return {**{name: round(value, 4) for name, value in measured.items()},
            "result_mean_lab": [round(float(v), 3) for v in lab_after.mean(axis=0)],
            "target_lab": [round(float(v), 3) for v in target],
            "target_in_srgb_gamut": in_gamut, "target_gamut_gap": round(gap, 4),
            "region_pixels": _region_pixels(result), "sampled_pixels": len(after),
            "lightness_gain": round(result.lightness_gain, 4),
            "thresholds": thresholds, "checks": checks, "passed": all(checks.values())}


def _region_samples(result: Transfer) -> tuple[np.ndarray, np.ndarray]:
    """(before, after) RGB rows of up to SAMPLE_PIXELS region pixels, evenly spaced."""
    region = _judged_region(result)
    pixels = result.image.shape[0] * result.image.shape[1]
    if region is None:  # every pixel: no index of all of them (16 MB for 1920x1080)
        chosen = np.arange(0, pixels, max(1, pixels // SAMPLE_PIXELS))
    else:
        indices = np.flatnonzero(region)
        chosen = indices[::max(1, len(indices) // SAMPLE_PIXELS)]
    before = result.original.reshape(-1, 3)[chosen][:, ::-1]  # BGR -> RGB
    after = result.image.reshape(-1, 3)[chosen][:, ::-1]
    return before, after


def _distinct_colours(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, index of each input row's among them): `rgb == distinct[index]`."""
    packed = (rgb[:, 0].astype(np.uint32) << 16) | (rgb[:, 1].astype(np.uint32) << 8) \
        | rgb[:, 2]
    keys, index = np.unique(packed, return_inverse=True)
    distinct = np.stack([keys >> 16, (keys >> 8) & 0xFF, keys & 0xFF], axis=1).astype(np.uint8)
    return distinct, index.reshape(-1)


def _judged_region(result: Transfer) -> np.ndarray | None:
    if result.alpha is None:
        return None
    full = result.alpha >= _FULLY_RECOLOURED
    return full if full.any() else result.region


def _region_pixels(result: Transfer) -> int:
    region = _judged_region(result)
    if region is None:
        return int(result.image.shape[0] * result.image.shape[1])
    return int(region.sum())


def _correlation(first: np.ndarray, second: np.ndarray) -> float:
    if first.std() == 0 or second.std() == 0:  # a flat region has no structure to keep
        return 1.0 if first.std() == second.std() else 0.0
    return float(np.corrcoef(first, second)[0, 1])


def _newly_clipped_share(before: np.ndarray, after: np.ndarray, target_rgb: np.ndarray
                         ) -> float:
    """`before`, `after`: RGB rows; `target_rgb`: the target's unclipped sRGB."""
    dark_is_target = target_rgb <= _HALF_CODE_VALUE
    bright_is_target = target_rgb >= 255 - _HALF_CODE_VALUE
    at_edge_after = np.any(((after == 0) & ~dark_is_target)
                           | ((after == 255) & ~bright_is_target), axis=1)
    at_edge_before = np.any((before == 0) | (before == 255), axis=1)
    return float(np.mean(at_edge_after & ~at_edge_before)) if len(after) else 0.0
