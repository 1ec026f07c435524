"""RAL palette, nearest-colour matching and Delta E (seed 000, under /api/v1).

CPU work here is a fraction of a millisecond (213 colours, vectorised), so the routes are
async and run on the event loop instead of hopping to a worker thread.
"""

from typing import Annotated

from fastapi import APIRouter, Query

from services.gateway.color import service
from services.gateway.color.schemas import (
    DeltaEIn,
    DeltaEOut,
    Group,
    MatchIn,
    MatchOut,
    PaletteColourOut,
    PaletteOut,
)
from services.gateway.deps import UserIdDep

router = APIRouter(prefix="/api/v1")


@router.get("/palette", tags=["palette"])
async def palette(_: UserIdDep, group: Group | None = None,
                  name: Annotated[str | None, Query(max_length=100)] = None) -> PaletteOut:
    """The RAL Classic colours (reference L*a*b* D65/10°, derived sRGB); filter by group or
    by a part of the name."""
    return service.palette(group, name)


@router.get("/palette/{ral_code}", tags=["palette"])
async def palette_colour(ral_code: str, _: UserIdDep) -> PaletteColourOut:
    """One RAL colour: 'RAL 3000', 'ral3000' and '3000' all work; 404 if unknown."""
    return service.palette_colour(ral_code)


@router.post("/color/match", tags=["color-matching"])
async def match(body: MatchIn, _: UserIdDep) -> MatchOut:
    """The RAL colours nearest to an rgb, hex, lab or ral colour, with their Delta E."""
    return service.match(body)


@router.post("/color/delta-e", tags=["color-matching"])
async def delta_e(body: DeltaEIn, _: UserIdDep) -> DeltaEOut:
    """The difference between two colours (CIEDE2000, CIE94 or CIE76)."""
    return service.difference(body)
