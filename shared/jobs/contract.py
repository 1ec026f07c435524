"""The job service's contract: what the gateway sends it and what it answers, one set of
models both sides import. The job service's routes are declared with them; the gateway's
`JobsClient` parses every answer into them, so neither side reads the other's JSON by key.
"""

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.jobs.models import JobKind, JobStatus

ParamsModel = TypeVar("ParamsModel", bound=BaseModel)


class ServiceError(BaseModel):
    """How the job service answers an error: `ConveyorError.to_dict()`, its extras as
    extra fields."""

    model_config = ConfigDict(extra="allow")

    error_type: str  # an ErrorCode's name
    detail: str
    retryable: bool


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
    # The user's webhook endpoint its callback_url names (shared/webhooks).
    webhook_endpoint_id: int | None = None


class StartJob(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)
    # Checked under the job's row lock, in the transaction that starts it: the gateway
    # need not read the job first, and nothing can change between the check and the start.
    expect_kind: JobKind | None = None
    expect_sha256: str | None = Field(default=None, description="the confirmed file's hash")


class ChunkStats(BaseModel):
    total: int
    units_done: int = 0  # pages, images, ... the chunks reported done so far
    units_total: int = 0  # ... and planned
    pending: int
    active: int
    completed: int
    failed: int
    cancelled: int


class FailedChunk(BaseModel):
    """A chunk that ran out of attempts, with its spec (its pages, say) as extra fields."""

    model_config = ConfigDict(extra="allow")

    chunk_index: int
    error_type: str | None = None
    error: str | None = None

    def spec_value(self, key: str) -> Any:
        """A field of the chunk's spec (`page_id` of a page task's chunk), or None."""
        return (self.model_extra or {}).get(key)


class JobSummary(BaseModel):
    """What an ended job's chunks added up to (`lifecycle.summarise_chunks`)."""

    model_config = ConfigDict(extra="allow")

    completed_units: int = 0
    item_count: int = 0
    failed_chunks: list[FailedChunk] = Field(default_factory=list)


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
    failed_chunks: list[FailedChunk]
    error: str | None
    error_type: str | None
    retryable: bool | None
    celery_task_id: str | None  # set when the job is started: its chunks' task ids derive from it
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
    result: JobSummary | None
    # Numeric chunk metrics summed, list metrics concatenated in chunk order.
    metrics: dict[str, Any]
    idempotent_replay: bool = False
    # A completed job's result items in chunk order, when asked for with the view (the
    # status documents need both: one request instead of two).
    result_items: list[Any] | None = None

    def params_as(self, model: type[ParamsModel]) -> ParamsModel:
        """The job's parameters read as its kind's model (the kind's creator wrote them)."""
        return model.model_validate(self.params)

    @property
    def partial(self) -> bool:
        """Completed with chunks that failed: the status stays `completed` (seed 001) and
        every API says what is missing in its own words."""
        return self.status == JobStatus.COMPLETED and self.chunks.failed > 0


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


class StepDetail(BaseModel):
    """What a `step` event says: the worker's step code and the job's progress."""

    model_config = ConfigDict(extra="allow")

    step: str | None = None
    progress: int | None = None


class FeedEvent(BaseModel):
    id: int
    job_id: int
    job_uuid: str
    kind: JobKind
    event_type: str
    to_status: str | None
    detail: dict[str, Any]
    created_at: datetime

    def step_detail(self) -> StepDetail:
        return StepDetail.model_validate(self.detail)


class EventFeed(BaseModel):
    events: list[FeedEvent]
    last_id: int


class ResultItems(BaseModel):
    job_id: int
    kind: JobKind  # what the items are: a PDF's sentences, a receipt's fields, a page's read
    items: list[Any]
    failed_chunks: list[FailedChunk]
