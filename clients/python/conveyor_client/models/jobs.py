"""Jobs of any kind (seeds 001 and 004): status documents, progress, events, results."""

from datetime import datetime
from typing import Any

from pydantic import Field

from conveyor_client.models._base import ApiModel

# The statuses a job ends in, in the v1 jobs vocabulary (and 004's, which shares them).
ENDED_STATUSES = frozenset({"completed", "failed", "cancelled"})


class FailedChunk(ApiModel):
    """A chunk that ran out of attempts; a PDF chunk also says `first_page` and
    `last_page`, a crawl chunk `keyword` and `engine` (kept as extra fields)."""

    openapi_schema = "FailedChunkDocument"

    chunk_index: int
    error_type: str | None = None
    error: str | None = None


class TaskInfo(ApiModel):
    openapi_schema = "TaskInfo"

    current: int
    total: int


class TaskState(ApiModel):
    openapi_schema = "TaskState"

    state: str
    info: TaskInfo


class OcrPage(ApiModel):
    openapi_schema = "OcrPage"

    page: int
    mean_confidence: float
    word_count: int
    turned_degrees: int = 0


class ResultDownloads(ApiModel):
    openapi_schema = "ResultDownloads"

    json_url: str = Field(alias="json")  # `json` would shadow BaseModel.json
    text: str


class PdfResult(ApiModel):
    """What a completed PDF job produced."""

    openapi_schema = "PdfResultSummary"

    sentence_count: int
    downloads: ResultDownloads
    ocr: str
    ocr_pages: list[OcrPage]
    empty_pages: list[int]
    unread_scanned_pages: list[int]
    warnings: list[str]
    text_engine: str = "pypdf"  # what read the text layers; older servers do not say


class RefusedUrl(ApiModel):
    openapi_schema = "RefusedUrl"

    url: str
    reason: str
    detail: str


class CrawlResult(ApiModel):
    openapi_schema = "CrawlResultSummary"

    downloaded_images: int
    images_url: str
    validate_url: str
    refused_images: int = 0
    refused_pages: int = 0
    refused_urls: list[RefusedUrl] = Field(default_factory=list)


class ValidationResult(ApiModel):
    openapi_schema = "ValidationResultSummary"

    crawl_job_id: int
    validation_level: str
    validated_images: int
    images_url: str


class Job(ApiModel):
    """A job's status document (seed 001's), any kind. A PDF job's also names its
    `model` and Gemini usage."""

    openapi_schema = "JobStatusDocument"
    openapi_variants = ("PdfJobStatusDocument",)

    id: int
    uuid: str
    user_id: int
    kind: str
    status: str  # pending, processing, completed, failed or cancelled
    original_filename: str | None
    page_count: int | None
    estimated_credits: int
    reserved_credits: int
    charged_credits: int | None
    finalized: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    progress_percent: int
    current_step: str | None
    total_chunks: int
    processed_chunks: int
    active_chunks: int
    partial: bool = False
    failed_chunks: list[FailedChunk]
    failed_chunk_count: int
    celery_task_id: str | None
    task_state: TaskState
    processing_time_seconds: float | None
    error: str | None
    error_type: str | None
    retryable: bool | None
    # Another kind's result, or a newer server's shape, stays a plain dict.
    result: PdfResult | CrawlResult | ValidationResult | dict[str, Any] | None
    # PDF jobs only (PdfJobStatusDocument).
    model: str | None = None
    gemini_api_calls: int | None = None
    gemini_tokens_used: int | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED_STATUSES


class JobList(ApiModel):
    openapi_schema = "JobList"

    jobs: list[Job]  # newest first
    total: int
    limit: int
    offset: int


class JobProgress(ApiModel):
    """Seed 004's chunk statistics; a crawl job's also count the images kept so far."""

    openapi_schema = "JobProgressDocument"
    openapi_variants = ("CrawlJobProgressDocument",)

    job_id: int
    status: str  # pending, running, completed, failed or cancelled
    progress: int
    total_chunks: int
    active_chunks: int
    completed_chunks: int
    failed_chunks: int
    partial: bool = False
    estimated_completion: str | None
    started_at: datetime | None
    updated_at: datetime
    downloaded_images: int | None = None  # crawl jobs (CrawlJobProgressDocument)


class JobEvent(ApiModel):
    """One entry of a job's event log: a status change (`status`), a chunk's attempt,
    step or end, a retry, a credit movement."""

    openapi_schema = "EventView"

    id: int
    event_type: str
    chunk_index: int | None
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]
    created_at: datetime


class JobEvents(ApiModel):
    openapi_schema = "JobEvents"

    job_id: int
    events: list[JobEvent]  # oldest first


class JobStarted(ApiModel):
    openapi_schema = "JobStarted"

    job_id: int
    status: str
    task_ids: list[str]
    total_chunks: int
    message: str


class JobCancelled(ApiModel):
    openapi_schema = "JobCancelled"

    message: str
    job_id: int
    status: str
    revoked_tasks: int


class JobFinalized(ApiModel):
    openapi_schema = "JobFinalized"

    job_id: int
    status: str
    reserved_credits: int
    charged_credits: int
    released_credits: int
    finalized: bool
    message: str


class JobResult(ApiModel):
    """A completed PDF job's sentences, in order."""

    openapi_schema = "JobResult"

    job_id: int
    sentences: list[str | dict[str, Any]]
    sentence_count: int
    failed_chunks: list[FailedChunk]
