"""Projects, pages and page-OCR tasks as seed 003 shows them."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.webhooks.schemas import (
    CALLBACK_SECRET_EXAMPLE,
    CALLBACK_URL_EXAMPLE,
    CallbackSecretField,
    CallbackUrlField,
)
from shared.db import MAX_ROW_ID


class ProjectIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Annual report 2025", "description": "scanned in the archive"}]})

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)


class ProjectOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": 1, "name": "Annual report 2025", "description": "scanned in the archive",
         "created_at": "2026-12-04T09:30:00Z", "page_count": 3,
         "pages_by_status": {"completed": 2, "pending": 1}}]})

    id: int
    name: str
    description: str | None
    created_at: datetime
    page_count: int
    pages_by_status: dict[str, int]


class PageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "project_id": 1, "page_number": 28, "original_filename": "page28.jpg",
        "source": "image", "width": 2480, "height": 3508, "ocr_status": "completed",
        "ocr_confidence": 91.4, "word_count": 412, "ocr_error": None, "ocr_error_type": None,
        "task_id": "0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b",
        "ocr_finished_at": "2026-12-04T09:31:10Z", "created_at": "2026-12-04T09:30:00Z"}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "project_id": 1, "total": 1, "pages": [{
            "id": 3, "project_id": 1, "page_number": 28, "original_filename": "page28.jpg",
            "source": "image", "width": 2480, "height": 3508, "ocr_status": "completed",
            "ocr_confidence": 91.4, "word_count": 412, "ocr_error": None,
            "ocr_error_type": None, "task_id": "0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b",
            "ocr_finished_at": "2026-12-04T09:31:10Z", "created_at": "2026-12-04T09:30:00Z"}]}]})

    project_id: int
    total: int
    pages: list[PageOut]


PAGE_TASK_REQUEST_EXAMPLES: dict[str, Any] = {
    "callback": {"summary": "With the task's events sent to a URL",
                 "value": {"callback_url": CALLBACK_URL_EXAMPLE}},
}


class PageTaskIn(BaseModel):
    """process-page's optional body (seed 003 sends none): where to send the task's
    events."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"callback_url": CALLBACK_URL_EXAMPLE}]})

    callback_url: CallbackUrlField = None


class BatchIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"page_ids": [1, 2, 3]}, {"page_ids": [1, 2, 3], "callback_url": CALLBACK_URL_EXAMPLE}]})

    page_ids: list[Annotated[int, Field(ge=1, le=MAX_ROW_ID)]] = Field(min_length=1,
                                                                       max_length=500)
    callback_url: CallbackUrlField = None


# The queued answers leave callback_secret out without a callback_url (seed 003's shape).
class PageQueued(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"task_id": "0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b", "status": "queued", "page_id": 3,
         "page_number": 28, "callback_secret": CALLBACK_SECRET_EXAMPLE}]})

    task_id: str
    status: str
    page_id: int
    page_number: int
    callback_secret: CallbackSecretField = None


class BatchQueued(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"task_id": "0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b", "status": "queued",
         "total_pages": 3, "page_ids": [1, 2, 3], "callback_secret": CALLBACK_SECRET_EXAMPLE}]})

    task_id: str
    status: str
    total_pages: int
    page_ids: list[int]
    callback_secret: CallbackSecretField = None


class TaskStatus(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"task_id": "0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b", "status": "processing",
         "current": 3, "total": 10},
        {"task_id": "0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b", "status": "completed",
         "current": 2, "total": 2, "partial": True,
         "message": "1 of 2 pages failed; their errors are in result.results",
         "result": {"total": 2, "completed": 1, "failed": 1, "results": [
             {"page_id": 1, "page_number": 1, "status": "completed", "text": "...",
              "mean_confidence": 92.1, "word_count": 301},
             {"page_id": 2, "page_number": 2, "status": "failed",
              "error": "No readable text found in the image",
              "error_type": "PROCESSING_FAILED"}]}}]})

    task_id: str
    status: str
    current: int
    total: int
    # A task that completed with pages that failed says so here as well as in its counts.
    partial: bool = Field(default=False, description="completed, but some pages failed")
    message: str | None = Field(default=None, description="what a partial task misses")
    result: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None


class TaskCancelled(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"task_id": "0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b", "status": "cancelled",
         "revoked_tasks": 2}]})

    task_id: str
    status: str
    revoked_tasks: int


class PageImageSize(BaseModel):
    width: int | None
    height: int | None


class PageResult(BaseModel):
    """A page's OCR as JSON. Word boxes are pixels of the page as it was read (cropped to
    the paper, scaled, straightened): `image_size`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "page_id": 3, "page_number": 28, "text": "Annual report\nRevenue grew by 12%.",
        "mean_confidence": 91.4, "word_count": 6,
        "image_size": {"width": 2480, "height": 3508}, "turned_degrees": 0,
        "words": [{"text": "Annual", "confidence": 96.1, "bbox": [212, 180, 310, 64]}]}]})

    page_id: int
    page_number: int
    text: str | None
    mean_confidence: float | None
    word_count: int | None
    image_size: PageImageSize
    turned_degrees: int | None
    words: list[dict[str, Any]]
