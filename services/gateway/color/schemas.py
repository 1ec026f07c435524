"""Request and response bodies of the colour routes (seed 000)."""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from services.gateway.webhooks.schemas import (
    CALLBACK_SECRET_EXAMPLE,
    CALLBACK_URL_EXAMPLE,
    CallbackSecretField,
    CallbackUrlField,
)
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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "success": True, "collection": "RAL Classic", "count": 1,
        "lab_reference": {"space": "CIE 1976 L*a*b*", "illuminant": "D65",
                          "observer": "CIE 1964 10°"},
        "source": "The L*a*b* column of the English Wikipedia article 'List of RAL colours'",
        "not_included": "RAL 2017 (RAL orange) and RAL 9012 (Cleanroom white)",
        "colors": [{"lab": [37.687, 50.439, 36.563], "rgb": [167, 41, 32], "hex": "#A72920",
               "in_srgb_gamut": True, "code": "RAL 3000", "name": "Flame red", "group": "red"}]}]})

    success: bool = True
    collection: str
    count: int
    lab_reference: dict[str, str]
    source: str
    not_included: str
    colors: list[RalColourOut]


class PaletteColourOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"success": True, "color": {
        "lab": [37.687, 50.439, 36.563], "rgb": [167, 41, 32], "hex": "#A72920",
        "in_srgb_gamut": True, "code": "RAL 3000", "name": "Flame red", "group": "red"}}]})

    success: bool = True
    color: RalColourOut


class MatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "success": True, "formula": "CIEDE2000",
        "input": {"lab": [53.2518, 80.3992, 67.2492], "rgb": [255, 0, 0], "hex": "#FF0000",
                  "in_srgb_gamut": True},
        "matches": [{"lab": [61.253, 83.212, 65.195], "rgb": [255, 45, 33], "hex": "#FF2D21",
                     "in_srgb_gamut": False, "code": "RAL 3024", "name": "Luminous red",
                     "group": "red", "rank": 1, "delta_e": 7.4927}]}]})

    success: bool = True
    input: ColourOut
    formula: Formula
    matches: list[RalMatch]


class DeltaEOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "success": True, "formula": "CIEDE2000", "delta_e": 1.5232,
        "perception": "perceptible through close observation",
        "color1": {"lab": [37.687, 50.439, 36.563], "rgb": [167, 41, 32], "hex": "#A72920",
                   "in_srgb_gamut": True},
        "color2": {"lab": [36.1937, 52.557, 38.8283], "rgb": [165, 32, 25], "hex": "#A52019",
                   "in_srgb_gamut": True},
        "details": {"delta_l": -1.4933}}]})

    success: bool = True
    formula: Formula
    delta_e: float
    perception: str
    color1: ColourOut
    color2: ColourOut
    details: dict[str, Any] = Field(default_factory=dict)


# --- images and transfer ------------------------------------------------------------------

PUBLIC_ID_PATTERN = r"^\d{8}_\d{6}_[0-9a-f]{8}$"
PublicId = Annotated[str, Field(pattern=PUBLIC_ID_PATTERN, examples=["20251106_120000_a1b2c3d4"])]


class DominantColourOut(BaseModel):
    ral_code: str
    name: str
    hex: str
    share: float = Field(description="share of the image's pixels, 0..1")
    delta_e: float = Field(description="CIEDE2000 between the RAL colour and these pixels' "
                                       "mean colour")
    mean_hex: str


class UploadOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "success": True, "job_id": "20261204_093000_a1b2c3d4", "filename": "door.jpg",
        "format": "JPEG", "width": 1920, "height": 1280, "size_bytes": 412345,
        "dominant_colors": [{"ral_code": "RAL 7016", "name": "Anthracite grey",
                             "hex": "#373F43", "share": 0.46, "delta_e": 3.1,
                             "mean_hex": "#3A4145"}],
        "expires_at": "2026-12-05T09:30:00Z", "message": "Image uploaded successfully"}]})

    success: bool = True
    job_id: str = Field(description="the upload id; pass it as `job_id` to /process/*")
    filename: str | None
    format: str
    width: int
    height: int
    size_bytes: int
    dominant_colors: list[DominantColourOut]
    expires_at: datetime
    message: str = "Image uploaded successfully"


class TransferIn(BaseModel):
    job_id: PublicId = Field(description="an upload id from POST /api/v1/upload")
    target_ral_code: str = Field(max_length=20, examples=["RAL 3000"])
    downsample: bool = Field(default=True, description="process at most 1920 px on the long "
                                                       "side")
    strength: float = Field(default=1.0, gt=0, le=1, description="1 = the full transfer; "
                            "less blends it with the original")
    mask_job_id: PublicId | None = Field(default=None, description="an upload id of a mask "
                                         "image: white is recoloured, black kept, grey blends")

    model_config = {"json_schema_extra": {"examples": [
        {"job_id": "20251106_120000_a1b2c3d4", "target_ral_code": "RAL 3000",
         "downsample": True}]}}


class AsyncTransferIn(TransferIn):
    """A queued transfer, and where to send its job's events. Only the async route takes a
    callback_url: the sync one (POST /process/reinhard) answers with the result itself."""

    callback_url: CallbackUrlField = None

    model_config = {"json_schema_extra": {"examples": [
        {"job_id": "20251106_120000_a1b2c3d4", "target_ral_code": "RAL 3000",
         "downsample": True},
        {"job_id": "20251106_120000_a1b2c3d4", "target_ral_code": "RAL 3000",
         "callback_url": CALLBACK_URL_EXAMPLE}]}}


class TaskAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "success": True, "task_id": "3c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",
        "status_url": "/api/v1/task/3c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",
        "message": "Task accepted for processing",
        "callback_secret": CALLBACK_SECRET_EXAMPLE}]})

    success: bool = True
    task_id: str
    status_url: str
    message: str = "Task accepted for processing"
    callback_secret: CallbackSecretField = None  # left out without one (seed 000's shape)


class TransferResult(BaseModel):
    success: bool = True
    result_job_id: str
    source_job_id: str
    ral_info: dict[str, Any]
    qc_report: dict[str, Any]
    width: int
    height: int
    downloads: dict[str, str]
    expires_at: datetime | None = None
    files_removed_at: datetime | None = Field(
        default=None, description="set once the hourly cleanup removed the files (24 h)")


class TaskStatusOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "success": True, "task_id": "3c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",
        "state": "STARTED", "progress": 30, "status": "Transferring the colour"}]})

    success: bool = True
    task_id: str
    state: str = Field(description="PENDING, STARTED, SUCCESS, FAILURE, RETRY or REVOKED")
    progress: int | None
    status: str
    result: TransferResult | None = None
    error: str | None = None
    error_type: str | None = None


class SyncTransferOut(TransferResult):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "success": True, "task_id": "3c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",
        "result_job_id": "20261204_093005_e5f6a7b8",
        "source_job_id": "20261204_093000_a1b2c3d4",
        "ral_info": {"code": "RAL 3000", "name": "Flame red", "hex": "#A72920"},
        "qc_report": {"delta_e_mean": 2.1, "verdict": "pass"}, "width": 1920, "height": 1280,
        "downloads": {"result": "/api/v1/download/20261204_093005_e5f6a7b8.png",
                      "preview": "/api/v1/download/20261204_093005_e5f6a7b8_preview.jpg"},
        "expires_at": "2026-12-05T09:30:05Z", "files_removed_at": None}]})

    task_id: str
