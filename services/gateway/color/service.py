"""Palette lookups, nearest RAL colours and colour differences. All in L*a*b* (D65, 10°)."""

import numpy as np

from services.gateway.color.schemas import (
    ColourIn,
    ColourOut,
    DeltaEIn,
    DeltaEOut,
    MatchIn,
    MatchOut,
    PaletteColourOut,
    PaletteOut,
    RalColourOut,
    RalMatch,
)
from shared.color import spaces
from shared.color.delta_e import delta_e
from shared.color.palette import ral_classic
from shared.errors import ConveyorError, ErrorCode

# Common reading of CIEDE2000 magnitudes (e.g. in print and coatings QC).
_PERCEPTION = ((1.0, "not perceptible by the human eye"),
               (2.0, "perceptible through close observation"),
               (10.0, "perceptible at a glance"),
               (49.0, "colours are more similar than opposite"))


def palette(group: str | None, name: str | None) -> PaletteOut:
    data = ral_classic()
    colours = [c for c in data.in_group(group)
               if name is None or name.casefold() in c.name.casefold()]
    return PaletteOut(collection="RAL Classic", count=len(colours),
                      lab_reference=data.reference, source=data.source,
                      not_included=data.not_included,
                      colors=[RalColourOut(**c.to_dict()) for c in colours])


def palette_colour(code: str) -> PaletteColourOut:
    colour = ral_classic().require(code, error=ErrorCode.NOT_FOUND)
    return PaletteColourOut(color=RalColourOut(**colour.to_dict()))


def match(request: MatchIn) -> MatchOut:
    lab = to_lab(request)
    found = ral_classic().nearest(lab, top_n=request.top_n, formula=request.formula,
                                  group=request.group)
    return MatchOut(input=_describe(lab), formula=request.formula,
                    matches=[RalMatch(rank=rank, delta_e=round(m.delta_e, 4), **m.colour.to_dict())
                             for rank, m in enumerate(found, start=1)])


def difference(request: DeltaEIn) -> DeltaEOut:
    lab1, lab2 = to_lab(request.color1), to_lab(request.color2)
    value = float(delta_e(lab1, lab2, request.formula))
    return DeltaEOut(formula=request.formula, delta_e=round(value, 4),
                     perception=perception(value), color1=_describe(lab1),
                     color2=_describe(lab2),
                     details={"delta_l": round(float(lab2[0] - lab1[0]), 4)})


def to_lab(colour: ColourIn) -> np.ndarray:
    if colour.lab is not None:
        return np.asarray(colour.lab, dtype=np.float64)
    if colour.ral is not None:
        return np.asarray(ral_classic().require(colour.ral, error=ErrorCode.NOT_FOUND).lab)
    if colour.hex is not None:
        try:
            return spaces.srgb_to_lab(spaces.parse_hex(colour.hex))
        except ValueError as exc:
            raise ConveyorError(ErrorCode.INPUT_INVALID, str(exc)) from exc
    if colour.rgb is None:  # ColourIn's validator lets exactly one through
        raise ConveyorError(ErrorCode.INPUT_INVALID, "give exactly one of rgb, hex, lab or ral")
    return spaces.srgb_to_lab(colour.rgb)


def perception(value: float) -> str:
    for limit, words in _PERCEPTION:
        if value < limit:
            return words
    return "colours are nearly opposite"


def _describe(lab: np.ndarray) -> ColourOut:
    rgb = spaces.lab_to_srgb(lab)
    rgb8 = spaces.to_rgb8(rgb)
    return ColourOut(lab=[round(float(v), 4) for v in lab], rgb=[int(v) for v in rgb8],
                     hex=spaces.to_hex(rgb8), in_srgb_gamut=bool(spaces.in_srgb_gamut(rgb)))
