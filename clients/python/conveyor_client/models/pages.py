"""Projects of scanned pages and their OCR tasks (seed 003)."""

from datetime import datetime
from typing import Any

from conveyor_client.models._base import ApiModel

PAGE_TASK_ENDED_STATUSES = frozenset({"completed", "failed", "cancelled"})


class Project(ApiModel):
    openapi_schema = "ProjectOut"

    id: int
    name: str
    description: str | None
    created_at: datetime
    page_count: int
    pages_by_status: dict[str, int]


class Page(ApiModel):
    openapi_schema = "PageOut"

    id: int
    project_id: int
    page_number: int
    original_filename: str | None
    source: str  # image or pdf
    width: int | None
    height: int | None
    ocr_status: str
    ocr_confidence: float | None
    word_count: int | None
    ocr_error: str | None
    ocr_error_type: str | None
    task_id: str | None
    ocr_finished_at: datetime | None
    created_at: datetime


class PageList(ApiModel):
    openapi_schema = "PageList"

    project_id: int
    total: int
    pages: list[Page]


class PageQueued(ApiModel):
    openapi_schema = "PageQueued"

    task_id: str
    status: str
    page_id: int
    page_number: int


class BatchQueued(ApiModel):
    openapi_schema = "BatchQueued"

    task_id: str
    status: str
    total_pages: int
    page_ids: list[int]


class PageTask(ApiModel):
    """`current` of `total` pages while processing; at the end `result` holds `{total,
    completed, failed, results}`."""

    openapi_schema = "TaskStatus"

    task_id: str
    status: str  # queued, processing, completed, failed or cancelled
    current: int
    total: int
    partial: bool = False
    message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None

    @property
    def ended(self) -> bool:
        return self.status in PAGE_TASK_ENDED_STATUSES


class PageTaskCancelled(ApiModel):
    openapi_schema = "TaskCancelled"

    task_id: str
    status: str
    revoked_tasks: int


class PageImageSize(ApiModel):
    openapi_schema = "PageImageSize"

    width: int | None
    height: int | None


class PageResult(ApiModel):
    """A page's OCR: its text, confidence and words with their boxes."""

    openapi_schema = "PageResult"

    page_id: int
    page_number: int
    text: str | None
    mean_confidence: float | None
    word_count: int | None
    image_size: PageImageSize
    turned_degrees: int | None
    words: list[dict[str, Any]]
