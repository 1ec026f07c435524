"""The public job documents of seeds 001 and 004, shaped per kind: a PDF job's carry its
model and Gemini usage, a crawl job's progress its kept images; no kind carries another's.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.crawl.params import ValidationLevel
from shared.jobs.contract import EventView
from shared.jobs.models import JobKind

_WHEN = "2025-10-04T10:00:05Z"
_JOB_STATUSES = "pending, processing, completed, failed or cancelled"


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class FailedChunkDocument(BaseModel):
    """A chunk that ran out of attempts. Its spec follows as further fields: a PDF
    chunk's `first_page` and `last_page`, a crawl chunk's `keyword` and `engine`."""

    model_config = ConfigDict(extra="allow")

    chunk_index: int
    error_type: str | None = None
    error: str | None = None


class TaskInfo(BaseModel):
    current: int = Field(description="chunks ended (completed or failed)")
    total: int


class TaskState(BaseModel):
    """Seed 001's Celery-style task state of the whole job."""

    state: str = Field(description="PENDING, STARTED, PROGRESS, RETRY, SUCCESS, FAILURE "
                       "or REVOKED")
    info: TaskInfo


class OcrPage(BaseModel):
    page: int
    mean_confidence: float = Field(description="0-100 over the words read")
    word_count: int
    turned_degrees: int = Field(default=0, description="the turn that set the scan upright")


class ResultDownloads(BaseModel):
    # `json` would shadow BaseModel.json: the field is named otherwise and always
    # written under its alias.
    model_config = ConfigDict(serialize_by_alias=True)

    json_url: str = Field(alias="json")
    text: str


class PdfResultSummary(BaseModel):
    """What a completed PDF job produced, and what its pages said."""

    sentence_count: int
    downloads: ResultDownloads
    ocr: str = Field(description="auto, always or never, as the job was started")
    text_engine: str = Field(description="pypdf or pdfium: what read the text layers",
                             examples=["pypdf"])
    ocr_pages: list[OcrPage] = Field(description="the pages read by OCR")
    empty_pages: list[int] = Field(description="pages with neither text nor images")
    unread_scanned_pages: list[int] = Field(description="scans not read (ocr=never)")
    warnings: list[str]


class RefusedUrl(BaseModel):
    """A page or image the crawler did not take, and why (`address_refused`, `timeout`,
    `not_an_image`, ...)."""

    url: str
    reason: str
    detail: str


class CrawlResultSummary(BaseModel):
    downloaded_images: int
    images_url: str
    validate_url: str
    refused_images: int = Field(default=0, description="candidates not kept", examples=[2])
    refused_pages: int = Field(default=0, description="pages and seeds that could not be "
                               "read (refused by the address policy, unreachable...)",
                               examples=[1])
    refused_urls: list[RefusedUrl] = Field(
        default_factory=list, description="the refusals, up to 20 pages and 20 images a "
        "chunk, with their reasons", examples=[[{
            "url": "http://10.0.0.5/", "reason": "address_refused",
            "detail": "refused 10.0.0.5: private address"}]])


class ValidationResultSummary(BaseModel):
    """The verdicts themselves are listed with the crawl job's images."""

    crawl_job_id: int
    validation_level: ValidationLevel
    validated_images: int
    images_url: str


ResultSummary = PdfResultSummary | CrawlResultSummary | ValidationResultSummary


class JobStatusDocument(BaseModel):
    """Seed 001's status document, with failure and credit details; any kind."""

    model_config = _examples({
        "id": 124, "uuid": "3f0c1e9a-5b7d-4c2e-9a51-0d6f2b8e7c14", "user_id": 1,
        "kind": "crawl", "status": "processing", "original_filename": "laptop, notebook",
        "page_count": None, "estimated_credits": 100, "reserved_credits": 100,
        "charged_credits": None, "finalized": False, "created_at": "2025-10-04T10:00:00Z",
        "started_at": _WHEN, "finished_at": None, "updated_at": "2025-10-04T10:02:05Z",
        "progress_percent": 50, "current_step": "Processing chunk 3/4", "total_chunks": 4,
        "processed_chunks": 2, "active_chunks": 2, "partial": False, "failed_chunks": [],
        "failed_chunk_count": 0, "celery_task_id": "job_124_1759572005.123456",
        "task_state": {"state": "PROGRESS", "info": {"current": 2, "total": 4}},
        "processing_time_seconds": None, "error": None, "error_type": None,
        "retryable": None, "result": None})

    id: int
    uuid: str
    user_id: int
    kind: JobKind
    status: str = Field(description=_JOB_STATUSES)
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
    partial: bool = Field(default=False, examples=[False], description=(
        "true when the job completed but some of its chunks failed: `status` stays "
        "`completed`, `failed_chunks` lists what is missing and it is not charged"))
    failed_chunks: list[FailedChunkDocument]
    failed_chunk_count: int
    celery_task_id: str | None
    task_state: TaskState
    processing_time_seconds: float | None
    error: str | None
    error_type: str | None
    retryable: bool | None
    result: ResultSummary | None = Field(description="once completed: what the job produced, "
                                         "in its kind's terms, and where to fetch it")


_PDF_JOB = {
    "id": 123, "uuid": "9b2d7c1e-4f3a-4e8b-8c6d-2a1f0e9d8c7b", "user_id": 1, "kind": "pdf",
    "status": "processing", "original_filename": "novel.pdf", "page_count": 100,
    "estimated_credits": 100, "reserved_credits": 100, "charged_credits": None,
    "finalized": False, "created_at": "2025-10-04T10:00:00Z", "started_at": _WHEN,
    "finished_at": None, "updated_at": "2025-10-04T10:02:05Z", "progress_percent": 45,
    "current_step": "Processing chunk 5/10", "total_chunks": 10, "processed_chunks": 4,
    "active_chunks": 3, "partial": False, "failed_chunks": [], "failed_chunk_count": 0,
    "celery_task_id": "job_123_1696378800.123456",
    "task_state": {"state": "PROGRESS", "info": {"current": 4, "total": 10}},
    "processing_time_seconds": None, "error": None, "error_type": None, "retryable": None,
    "result": None, "model": "gemini-2.5-flash", "gemini_api_calls": 4,
    "gemini_tokens_used": 50000}


class PdfJobStatusDocument(JobStatusDocument):
    """A PDF job's status document: the model that reads it and its Gemini usage."""

    model_config = _examples(_PDF_JOB)

    model: str | None = Field(description="gemini-2.5-flash (balanced), gemini-2.5-pro "
                              "(quality) or gemini-2.5-flash-lite (speed)")
    gemini_api_calls: int
    gemini_tokens_used: int


# PDF first: its document is also a JobStatusDocument, and must keep its own fields.
AnyJobStatusDocument = PdfJobStatusDocument | JobStatusDocument


class JobList(BaseModel):
    model_config = _examples({"jobs": [_PDF_JOB], "total": 1, "limit": 20, "offset": 0})

    jobs: list[AnyJobStatusDocument] = Field(description="newest first")
    total: int
    limit: int
    offset: int


class JobProgressDocument(BaseModel):
    """Seed 004's chunk statistics of a job of any kind."""

    model_config = _examples({
        "job_id": 123, "status": "running", "progress": 40, "total_chunks": 5,
        "active_chunks": 3, "completed_chunks": 2, "failed_chunks": 0, "partial": False,
        "estimated_completion": "2025-10-04T10:06:00+00:00", "started_at": _WHEN,
        "updated_at": "2025-10-04T10:02:05Z"})

    job_id: int
    status: str = Field(description="pending, running, completed, failed or cancelled")
    progress: int
    total_chunks: int
    active_chunks: int
    completed_chunks: int
    failed_chunks: int
    partial: bool = Field(default=False, examples=[False], description=(
        "completed, but `failed_chunks` of its chunks failed"))
    estimated_completion: str | None = Field(description="while running, from the pace so far")
    started_at: datetime | None
    updated_at: datetime


class CrawlJobProgressDocument(JobProgressDocument):
    """A crawl job's progress (seed 004's example): also the images kept so far."""

    model_config = _examples({
        "job_id": 123, "status": "running", "progress": 75, "total_chunks": 10,
        "active_chunks": 2, "completed_chunks": 7, "failed_chunks": 1, "partial": False,
        "estimated_completion": None, "started_at": "2024-01-01T10:00:00Z",
        "updated_at": "2024-01-01T10:15:00Z", "downloaded_images": 750})

    downloaded_images: int


# Crawl first, for the same reason as the status documents.
AnyJobProgressDocument = CrawlJobProgressDocument | JobProgressDocument


class JobEvents(BaseModel):
    model_config = _examples({"job_id": 42, "events": [
        {"id": 1, "event_type": "credit", "chunk_index": None, "from_status": None,
         "to_status": None, "detail": {"movement": "reserve", "amount": 12},
         "created_at": "2025-10-04T10:00:00Z"},
        {"id": 2, "event_type": "status", "chunk_index": None, "from_status": "pending",
         "to_status": "queued", "detail": {}, "created_at": _WHEN}]})

    job_id: int
    # The job service's event entries as they are: the log is the same on both sides.
    events: list[EventView] = Field(description="oldest first")


class JobStarted(BaseModel):
    model_config = _examples({
        "job_id": 123, "status": "running",
        "task_ids": ["550e8400-e29b-41d4-a716-446655440000",
                     "6fa459ea-ee8a-3ca4-894e-db77e160355e"],
        "total_chunks": 2, "message": "Job started with 2 tasks"})

    job_id: int
    status: str
    task_ids: list[str]
    total_chunks: int
    message: str


class JobCancelled(BaseModel):
    """Seed 001's answer, then how many tasks were revoked."""

    model_config = _examples({"message": "Job cancelled successfully", "job_id": 123,
                              "status": "cancelled", "revoked_tasks": 6})

    message: str
    job_id: int
    status: str
    revoked_tasks: int


class JobFinalized(BaseModel):
    model_config = _examples({
        "job_id": 123, "status": "completed", "reserved_credits": 100,
        "charged_credits": 98, "released_credits": 2, "finalized": True,
        "message": "Job finalized"})

    job_id: int
    status: str
    reserved_credits: int
    charged_credits: int
    released_credits: int
    finalized: bool
    message: str


class JobResult(BaseModel):
    """A completed job's result items: a PDF job's sentences, in order."""

    model_config = _examples({
        "job_id": 123, "sentences": ["It was a bright cold day in April.",
                                     "The clocks were striking thirteen."],
        "sentence_count": 2, "failed_chunks": []})

    job_id: int
    sentences: list[str | dict[str, Any]] = Field(
        description="a PDF job's sentences; another kind's result items")
    sentence_count: int
    failed_chunks: list[FailedChunkDocument]
