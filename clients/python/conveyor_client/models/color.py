"""Colours (seed 000): RAL matching, uploads and colour transfer tasks."""

from datetime import datetime
from typing import Any

from pydantic import Field

from conveyor_client.models._base import ApiModel

# The Celery-style states a transfer task ends in.
TRANSFER_ENDED_STATES = frozenset({"SUCCESS", "FAILURE", "REVOKED"})


class Colour(ApiModel):
    openapi_schema = "ColourOut"

    lab: list[float]
    rgb: list[int]
    hex: str
    in_srgb_gamut: bool


class RalMatch(Colour):
    openapi_schema = "RalMatch"

    code: str
    name: str
    group: str
    rank: int
    delta_e: float


class ColourMatch(ApiModel):
    """The RAL colours nearest to the colour given, nearest first."""

    openapi_schema = "MatchOut"

    success: bool = True
    input: Colour
    formula: str
    matches: list[RalMatch]


class DominantColour(ApiModel):
    openapi_schema = "DominantColourOut"

    ral_code: str
    name: str
    hex: str
    share: float
    delta_e: float
    mean_hex: str


class ColourUpload(ApiModel):
    """An uploaded image: `job_id` is what /process/* take; kept 24 hours."""

    openapi_schema = "UploadOut"

    success: bool = True
    job_id: str
    filename: str | None
    format: str
    width: int
    height: int
    size_bytes: int
    dominant_colors: list[DominantColour]
    expires_at: datetime
    message: str = "Image uploaded successfully"


class TransferAccepted(ApiModel):
    openapi_schema = "TaskAccepted"

    success: bool = True
    task_id: str
    status_url: str
    message: str = "Task accepted for processing"


class TransferResult(ApiModel):
    """The recoloured image: its QC report and `downloads` (`result`, `preview`)."""

    openapi_schema = "TransferResult"

    success: bool = True
    result_job_id: str
    source_job_id: str
    ral_info: dict[str, Any]
    qc_report: dict[str, Any]
    width: int
    height: int
    downloads: dict[str, str]
    expires_at: datetime | None = None
    files_removed_at: datetime | None = None


class TransferTask(ApiModel):
    """PENDING, STARTED (progress 10/30/60/80), then SUCCESS with `result`, FAILURE with
    `error`, or REVOKED."""

    openapi_schema = "TaskStatusOut"

    success: bool = True
    task_id: str
    state: str
    progress: int | None
    status: str = Field(description="the step in words")
    result: TransferResult | None = None
    error: str | None = None
    error_type: str | None = None

    @property
    def ended(self) -> bool:
        return self.state in TRANSFER_ENDED_STATES
