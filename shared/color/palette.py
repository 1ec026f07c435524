"""The RAL Classic palette: 213 colours with reference L*a*b* (D65, 10°), shipped in
`data/ral_classic.json` with its source. sRGB and hex are derived here from L*a*b*; the
colours that sRGB cannot show are flagged and their hex is the clipped approximation.

Nearest-colour search works in L*a*b*, never on sRGB: public tables disagree on the sRGB
of RAL colours, the L*a*b* references do not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shared.color import spaces
from shared.color.delta_e import Formula, delta_e
from shared.errors import ConveyorError, ErrorCode

GROUPS = {"1": "yellow", "2": "orange", "3": "red", "4": "violet", "5": "blue",
          "6": "green", "7": "grey", "8": "brown", "9": "white_black"}
_CODE = re.compile(r"^\s*(?:RAL)?[\s_-]*(\d{4})\s*$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class RalColour:
    code: str  # "RAL 3000"
    name: str
    group: str
    lab: tuple[float, float, float]
    rgb: tuple[int, int, int]  # derived, clipped to the gamut
    hex: str
    in_srgb_gamut: bool

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "group": self.group,
                "lab": list(self.lab), "rgb": list(self.rgb), "hex": self.hex,
                "in_srgb_gamut": self.in_srgb_gamut}


@dataclass(frozen=True, kw_only=True)
class Match:
    colour: RalColour
    delta_e: float


class Palette:
    def __init__(self, colours: list[RalColour], *, reference: dict[str, str], source: str,
                 not_included: str) -> None:
        self.colours = colours
        self.reference = reference
        self.source = source
        self.not_included = not_included
        self._by_code = {colour.code: colour for colour in colours}
        self._lab = np.array([colour.lab for colour in colours])

    def find(self, code: str) -> RalColour | None:
        """'RAL 3000', 'ral3000', 'RAL-3000' or '3000' -> the colour; None if unknown."""
        normal = normalise_code(code)
        return self._by_code.get(normal) if normal else None

    def require(self, code: str, *, error: ErrorCode = ErrorCode.INPUT_INVALID) -> RalColour:
        """The colour, as `find`; ConveyorError `error` if unknown: NOT_FOUND where the code
        names the resource asked for, INPUT_INVALID where it is a field of a request."""
        colour = self.find(code)
        if colour is None:
            raise ConveyorError(error, f"Unknown RAL code {code!r}; use e.g. 'RAL 3000', "
                                "'ral3000' or '3000' (GET /api/v1/palette lists the RAL "
                                "Classic codes).")
        return colour

    def in_group(self, group: str | None) -> list[RalColour]:
        return [c for c in self.colours if group is None or c.group == group]

    def nearest(self, lab: ArrayLike, *, top_n: int = 5,
                formula: Formula = Formula.CIEDE2000, group: str | None = None
                ) -> list[Match]:
        """The `top_n` closest colours, closest first (the palette colour is the reference)."""
        differences = delta_e(self._lab, np.asarray(lab, dtype=np.float64), formula)
        if group is not None:
            differences = np.where([c.group == group for c in self.colours], differences,
                                   np.inf)
        count = min(top_n, int(np.isfinite(differences).sum()))
        if count == 0:
            return []
        closest = np.argpartition(differences, count - 1)[:count]
        ordered = closest[np.argsort(differences[closest])]
        return [Match(colour=self.colours[i], delta_e=float(differences[i])) for i in ordered]


    def nearest_each(self, lab: ArrayLike, *, formula: Formula = Formula.CIEDE2000
                     ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """For each of N colours (N, 3): the index of its closest palette colour and the
        Delta E to it, in one (N, palette) broadcast."""
        colours = np.asarray(lab, dtype=np.float64).reshape(-1, 1, 3)
        differences = delta_e(self._lab[None, :, :], colours, formula)
        closest = np.argmin(differences, axis=1)
        return closest, differences[np.arange(len(closest)), closest]


def normalise_code(code: str) -> str | None:
    match = _CODE.match(code)
    return f"RAL {match.group(1)}" if match else None


@lru_cache(maxsize=1)
def ral_classic() -> Palette:
    document = json.loads(resources.files("shared.color").joinpath("data/ral_classic.json")
                          .read_text(encoding="utf-8"))
    entries = document["colours"]
    lab = np.array([entry["lab"] for entry in entries], dtype=np.float64)
    rgb = spaces.lab_to_srgb(lab)
    gamut, rgb8 = spaces.in_srgb_gamut(rgb), spaces.to_rgb8(rgb)
    colours = [RalColour(code=entry["code"], name=entry["name"],
                         group=GROUPS[entry["code"][4]], lab=tuple(entry["lab"]),
                         rgb=(int(rgb8[i, 0]), int(rgb8[i, 1]), int(rgb8[i, 2])),
                         hex=spaces.to_hex(rgb8[i]),
                         in_srgb_gamut=bool(gamut[i]))
               for i, entry in enumerate(entries)]
    return Palette(colours, reference=document["lab_reference"], source=document["source"],
                   not_included=document["not_included"])
