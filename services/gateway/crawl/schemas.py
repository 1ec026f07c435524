"""Seed 004's crawl documents: a created crawl job, the images it kept, a validation run."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.jobs.schemas import JobStatusDocument
from services.gateway.webhooks.schemas import (
    CALLBACK_SECRET_EXAMPLE,
    CALLBACK_URL_EXAMPLE,
    CallbackSecretField,
    CallbackUrlField,
)
from shared.crawl.params import CrawlRequest, Engine, ValidationLevel, ValidationRequest

# Request examples, as seed 004 and the README write them.
CRAWL_REQUEST_EXAMPLES: dict[str, Any] = {
    "search": {"summary": "Image search engines (seed 004)", "value": {
        "name": "Laptops", "keywords": ["laptop", "notebook"], "engines": ["google", "bing"],
        "max_images": 100}},
    "web": {"summary": "Follow links from starting pages", "value": {
        "keywords": ["red chair"], "engines": ["web"], "max_images": 50,
        "seed_urls": ["https://example.com/furniture/"], "max_depth": 2, "max_pages": 50,
        "same_host": True}},
    "callback": {"summary": "With the job's events sent to a URL", "value": {
        "keywords": ["laptop"], "engines": ["bing"], "max_images": 10,
        "callback_url": CALLBACK_URL_EXAMPLE}},
}
VALIDATION_REQUEST_EXAMPLES: dict[str, Any] = {
    "medium": {"summary": "The default level (seed 004)", "value": {"level": "medium"}},
    "slow": {"summary": "Also blur, near-empty images and near-duplicates",
             "value": {"level": "slow"}},
    "callback": {"summary": "With the validation job's events sent to a URL",
                 "value": {"level": "medium", "callback_url": CALLBACK_URL_EXAMPLE}},
}


class CrawlJobIn(CrawlRequest):
    """Seed 004's request, and where to send the job's events."""

    callback_url: CallbackUrlField = None

    def job_params(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude={"callback_url"})


class ValidationIn(ValidationRequest):
    """Seed 004's request, and where to send the validation job's events."""

    callback_url: CallbackUrlField = None


class CrawlJobCreated(JobStatusDocument):
    """A new crawl job's status document, and the request it was created with."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 124, "uuid": "3f0c1e9a-5b7d-4c2e-9a51-0d6f2b8e7c14", "user_id": 1,
        "kind": "crawl", "status": "pending", "original_filename": "Laptops",
        "page_count": None, "estimated_credits": 100, "reserved_credits": 100,
        "charged_credits": None, "finalized": False, "created_at": "2025-10-04T10:00:00Z",
        "started_at": None, "finished_at": None, "updated_at": "2025-10-04T10:00:00Z",
        "progress_percent": 0, "current_step": None, "total_chunks": 0,
        "processed_chunks": 0, "active_chunks": 0, "partial": False, "failed_chunks": [],
        "failed_chunk_count": 0, "celery_task_id": None,
        "task_state": {"state": "PENDING", "info": {"current": 0, "total": 0}},
        "processing_time_seconds": None, "error": None, "error_type": None,
        "retryable": None, "result": None, "name": "Laptops",
        "keywords": ["laptop", "notebook"], "engines": ["google", "bing"],
        "max_images": 100, "callback_secret": None}]})

    name: str
    keywords: list[str]
    engines: list[Engine]
    max_images: int
    callback_secret: CallbackSecretField = None


class ImageReason(BaseModel):
    """Why an image was found invalid; a near-duplicate also names the `image_id` it
    copies."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class CrawlImageDocument(BaseModel):
    id: int
    keyword: str
    engine: str
    source_url: str
    page_url: str | None
    alt_text: str | None
    relevance: float
    sha256: str
    size_bytes: int
    declared_type: str | None = Field(description="the Content-Type it was served with")
    format: str = Field(description="what its bytes are: jpeg, png, webp, ...")
    width: int | None
    height: int | None
    created_at: datetime
    validation_level: str | None
    verdict: str | None = Field(description="valid, invalid, or null until validated")
    reasons: list[ImageReason]
    validated_at: datetime | None


class VerdictCounts(BaseModel):
    valid: int
    invalid: int
    unvalidated: int


class JobImages(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "job_id": 123, "total": 1, "limit": 100, "offset": 0,
        "verdicts": {"valid": 0, "invalid": 1, "unvalidated": 0},
        "images": [{
            "id": 456, "keyword": "laptop", "engine": "bing",
            "source_url": "https://images.example.com/laptop-1.jpg",
            "page_url": "https://example.com/laptops", "alt_text": "a silver laptop",
            "relevance": 0.833, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c"
            "d15d6c15b0f00a08", "size_bytes": 48213, "declared_type": "image/jpeg",
            "format": "jpeg", "width": 640, "height": 480,
            "created_at": "2025-10-04T10:01:00Z", "validation_level": "slow",
            "verdict": "invalid",
            "reasons": [{"code": "near_duplicate", "image_id": 455,
                         "message": "a near-duplicate of image 455"}],
            "validated_at": "2025-10-04T10:05:00Z"}]}]})

    job_id: int
    total: int
    limit: int
    offset: int
    verdicts: VerdictCounts = Field(description="over all the job's images, unfiltered")
    images: list[CrawlImageDocument]


class ValidationStarted(BaseModel):
    """Seed 004's answer, then where to follow the validation job."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "job_id": 123, "images_count": 100, "validation_level": "medium",
        "task_ids": ["task_123_0", "task_123_1", "task_123_2"],
        "message": "Validation started for 100 images", "validation_job_id": 125,
        "progress_url": "/api/v1/jobs/125/progress",
        "callback_secret": CALLBACK_SECRET_EXAMPLE}]})

    job_id: int = Field(description="the crawl job whose images are validated")
    images_count: int
    validation_level: ValidationLevel
    task_ids: list[str]
    message: str
    validation_job_id: int
    progress_url: str
    callback_secret: CallbackSecretField = None  # left out without one (seed 004's shape)
