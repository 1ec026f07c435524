"""Seed 001's PDF answers: the confirmed upload and the started processing."""

from conveyor_client.models._base import ApiModel


class PdfConfirmed(ApiModel):
    """The job created for an upload, its estimated credits reserved."""

    openapi_schema = "ConfirmOut"

    job_id: int
    status: str
    page_count: int
    estimated_credits: int
    callback_secret: str | None = None  # with a new callback_url: its signing secret


class PdfStarted(ApiModel):
    openapi_schema = "AsyncStartOut"

    job_id: int
    task_id: str
    status: str
    message: str
