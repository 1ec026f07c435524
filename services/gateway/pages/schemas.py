"""Projects, pages and page-OCR tasks as seed 003 shows them."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)


class ProjectOut(BaseModel):
    id: int
    name: str
    description: str | None
    created_at: datetime
    page_count: int
    pages_by_status: dict[str, int]


class PageOut(BaseModel):
    id: int
    project_id: int
    page_number: int
    original_filename: str | None
    source: str  # "image" or "pdf"
    width: int | None
    height: int | None
    ocr_status: str
    ocr_confidence: float | None
    word_count: int | None
    ocr_error: str | None
    ocr_error_type: str | None
    task_id: str | None  # the last page task that touched this page
    ocr_finished_at: datetime | None
    created_at: datetime


class PageList(BaseModel):
    project_id: int
    total: int
    pages: list[PageOut]


class BatchIn(BaseModel):
    page_ids: list[int] = Field(min_length=1, max_length=500)


class PageQueued(BaseModel):
    task_id: str
    status: str
    page_id: int
    page_number: int


class BatchQueued(BaseModel):
    task_id: str
    status: str
    total_pages: int
    page_ids: list[int]


class TaskStatus(BaseModel):
    task_id: str
    status: str
    current: int
    total: int
    result: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None


class TaskCancelled(BaseModel):
    task_id: str
    status: str
    revoked_tasks: int
