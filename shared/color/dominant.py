"""The dominant colours of an image, named by their nearest RAL Classic colour.

Every pixel of a small version of the image (the gateway decodes uploads at most
`THUMBNAIL_SIDE` px on the long side) falls in a bin of a 16-level grid per sRGB channel.
Each bin's centre is matched to its nearest RAL colour in CIEDE2000 once per process, in
one vectorised pass; an image's bins holding at least 0.1 % of its pixels are matched
again by the mean colour of their pixels (a few hundred bins, one more vectorised pass).
A RAL colour's share is the share of pixels whose bins it won; its reported Delta E is
between it and the mean colour of those pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shared.color import spaces
from shared.color.delta_e import delta_e
from shared.color.palette import Palette, RalColour

THUMBNAIL_SIDE = 256
_BITS = 4  # per channel: 16 levels, 4096 bins
_MIN_SHARE = 0.01  # colours below 1 % of the pixels are noise, not "dominant"
_REMATCH_SHARE = 0.001


@dataclass(frozen=True, kw_only=True)
class DominantColour:
    colour: RalColour
    share: float  # of the image's pixels, 0..1
    delta_e: float  # CIEDE2000 between the RAL colour and these pixels' mean colour
    mean_hex: str  # the mean colour of these pixels

    def to_dict(self) -> dict[str, Any]:
        return {"ral_code": self.colour.code, "name": self.colour.name,
                "hex": self.colour.hex, "share": round(self.share, 4),
                "delta_e": round(self.delta_e, 2), "mean_hex": self.mean_hex}


@cache
def _bin_winners(palette: Palette) -> NDArray[np.intp]:
    """The nearest palette colour of every bin's centre: 4096 x 213 CIEDE2000 once per
    process (~0.3 s), then an image costs one table lookup per pixel."""
    levels = np.arange(1 << _BITS) * (1 << (8 - _BITS)) + (1 << (8 - _BITS)) / 2
    red, green, blue = np.meshgrid(levels, levels, levels, indexing="ij")
    centres = np.stack([red.ravel(), green.ravel(), blue.ravel()], axis=1)
    return np.concatenate([palette.nearest_each(spaces.srgb_to_lab(part))[0]
                           for part in np.array_split(centres, 16)])


def dominant_colours(bgr: np.ndarray, palette: Palette, *, top: int = 5
                     ) -> list[DominantColour]:
    """The RAL colours covering the most pixels of `bgr` (uint8), largest share first."""
    rgb = bgr.reshape(-1, 3)[:, ::-1].astype(np.uint32)
    if rgb.size == 0:
        return []
    shift = 8 - _BITS
    keys = ((rgb[:, 0] >> shift) << (2 * _BITS)) | ((rgb[:, 1] >> shift) << _BITS) \
        | (rgb[:, 2] >> shift)
    bins, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    means = np.stack([np.bincount(inverse.ravel(), weights=rgb[:, c]) for c in range(3)],
                     axis=1) / counts[:, None]
    winners = _bin_winners(palette)[bins]
    # A bin is 16 code values wide: among the dark colours, where RAL is dense, its centre
    # can lie nearer another colour than its pixels do. The bins that can make a dominant
    # colour are matched again by their pixels' mean colour.
    large = counts >= max(1, _REMATCH_SHARE * len(keys))
    if large.any():
        winners[large] = palette.nearest_each(spaces.srgb_to_lab(means[large]))[0]
    pixel_winner = winners[inverse.ravel()]
    totals = np.bincount(pixel_winner, minlength=len(palette.colours))
    ranked = [int(i) for i in np.argsort(totals)[::-1][:top]
              if totals[i] / len(pixel_winner) >= _MIN_SHARE]
    result = []
    for index in ranked:
        mean_rgb = rgb[pixel_winner == index].mean(axis=0)
        mean_lab = spaces.srgb_to_lab(mean_rgb)
        colour = palette.colours[index]
        result.append(DominantColour(
            colour=colour, share=float(totals[index] / len(pixel_winner)),
            delta_e=float(delta_e(colour.lab, mean_lab)),
            mean_hex=spaces.to_hex(spaces.to_rgb8(mean_rgb))))
    return result
