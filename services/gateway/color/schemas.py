"""Request and response bodies of the colour routes (seed 000)."""

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from shared.color.delta_e import Formula

Group = Literal["yellow", "orange", "red", "violet", "blue", "green", "grey", "brown",
                "white_black"]
# "ciede2000" and "CIEDE2000" alike.
FormulaIn = Annotated[Formula, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)]
Rgb = Annotated[list[Annotated[int, Field(ge=0, le=255)]], Field(min_length=3, max_length=3)]
Lab = Annotated[list[float], Field(min_length=3, max_length=3)]


class ColourIn(BaseModel):
    """Exactly one of: `rgb` [r, g, b] 0-255 (sRGB), `hex` "#RRGGBB", `lab` [L*, a*, b*]
    (D65, 10°), or `ral` "RAL 3000"."""

    rgb: Rgb | None = None
    hex: str | None = Field(default=None, max_length=9, examples=["#AF2B1E"])
    lab: Lab | None = None
    ral: str | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [name for name in ("rgb", "hex", "lab", "ral") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of rgb, hex, lab or ral"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.lab is not None:
            lightness, a, b = self.lab
            if not (0 <= lightness <= 100 and -200 <= a <= 200 and -200 <= b <= 200):
                raise ValueError("lab: L* must be within 0..100, a* and b* within -200..200")
        return self


class MatchIn(ColourIn):
    top_n: int = Field(default=5, ge=1, le=50)
    formula: FormulaIn = Formula.CIEDE2000
    group: Group | None = None

    model_config = {"json_schema_extra": {"examples": [{"rgb": [255, 0, 0], "top_n": 3}]}}


class DeltaEIn(BaseModel):
    color1: ColourIn = Field(description="the reference (matters for CIE94 only)")
    color2: ColourIn
    formula: FormulaIn = Formula.CIEDE2000

    model_config = {"json_schema_extra": {"examples": [
        {"color1": {"ral": "RAL 3000"}, "color2": {"hex": "#A52019"}}]}}


class ColourOut(BaseModel):
    lab: list[float]
    rgb: list[int]
    hex: str
    in_srgb_gamut: bool


class RalColourOut(ColourOut):
    code: str
    name: str
    group: str


class RalMatch(RalColourOut):
    rank: int
    delta_e: float


class PaletteOut(BaseModel):
    success: bool = True
    collection: str
    count: int
    lab_reference: dict[str, str]
    source: str
    not_included: str
    colors: list[RalColourOut]


class PaletteColourOut(BaseModel):
    success: bool = True
    color: RalColourOut


class MatchOut(BaseModel):
    success: bool = True
    input: ColourOut
    formula: Formula
    matches: list[RalMatch]


class DeltaEOut(BaseModel):
    success: bool = True
    formula: Formula
    delta_e: float
    perception: str
    color1: ColourOut
    color2: ColourOut
    details: dict[str, Any] = Field(default_factory=dict)
