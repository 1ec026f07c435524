"""The job service's internal HTTP shapes (the gateway renders the public ones)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.jobs.models import JobKind, JobStatus


class CreateJob(BaseModel):
    user_id: int
    kind: JobKind
    units: int = Field(ge=0, description="what the price is per: pages, files, images")
    original_filename: str | None = None
    input_path: str | None = None
    input_sha256: str | None = None
    input_size: int | None = None
    page_count: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, max_length=255)
    request_fingerprint: str | None = None
    start: bool = Field(default=False, description="queue the job's work at once")


class StartJob(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)


class ChunkStats(BaseModel):
    total: int
    units_done: int = 0  # pages, images, ... the chunks reported done so far
    units_total: int = 0  # ... and planned
    pending: int
    active: int
    completed: int
    failed: int
    cancelled: int


class JobView(BaseModel):
    id: int
    uuid: str
    user_id: int
    kind: JobKind
    status: JobStatus
    cancel_requested: bool
    original_filename: str | None
    input_path: str | None
    input_sha256: str | None
    page_count: int | None
    params: dict[str, Any]
    progress_percent: int
    current_step: str | None
    chunks: ChunkStats
    failed_chunks: list[dict[str, Any]]
    error: str | None
    error_type: str | None
    retryable: bool | None
    celery_task_id: str | None
    task_ids: list[str]
    attempts: int
    estimated_credits: int
    reserved_credits: int
    charged_credits: int | None
    finalized_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    processing_time_seconds: float | None
    result: dict[str, Any] | None
    metrics: dict[str, Any]
    idempotent_replay: bool = False
    # A completed job's result items in chunk order, when asked for with the view (the
    # status documents need both: one request instead of two).
    result_items: list[Any] | None = None


class JobPage(BaseModel):
    items: list[JobView]
    total: int
    limit: int
    offset: int


class CancelView(BaseModel):
    job: JobView
    revoked_tasks: int


class EventView(BaseModel):
    id: int
    event_type: str
    chunk_index: int | None
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]
    created_at: datetime


class FeedEvent(BaseModel):
    id: int
    job_id: int
    job_uuid: str
    kind: JobKind
    event_type: str
    to_status: str | None
    detail: dict[str, Any]
    created_at: datetime


class EventFeed(BaseModel):
    events: list[FeedEvent]
    last_id: int


class ResultItems(BaseModel):
    job_id: int
    items: list[Any]
    failed_chunks: list[dict[str, Any]]
