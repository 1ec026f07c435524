"""Crawl jobs and the validation of their images (seed 004)."""

from datetime import datetime

from conveyor_client.models._base import ApiModel
from conveyor_client.models.jobs import Job


class CrawlJob(Job):
    """A new crawl job's status document and the request it was created with."""

    openapi_schema = "CrawlJobCreated"

    name: str
    keywords: list[str]
    engines: list[str]
    max_images: int
    callback_secret: str | None = None


class ImageReason(ApiModel):
    openapi_schema = "ImageReason"

    code: str
    message: str


class CrawlImage(ApiModel):
    openapi_schema = "CrawlImageDocument"

    id: int
    keyword: str
    engine: str
    source_url: str
    page_url: str | None
    alt_text: str | None
    relevance: float
    sha256: str
    size_bytes: int
    declared_type: str | None
    format: str
    width: int | None
    height: int | None
    created_at: datetime
    validation_level: str | None
    verdict: str | None  # valid, invalid, or None until validated
    reasons: list[ImageReason]
    validated_at: datetime | None


class VerdictCounts(ApiModel):
    openapi_schema = "VerdictCounts"

    valid: int
    invalid: int
    unvalidated: int


class CrawlImages(ApiModel):
    openapi_schema = "JobImages"

    job_id: int
    total: int
    limit: int
    offset: int
    verdicts: VerdictCounts
    images: list[CrawlImage]


class ValidationStarted(ApiModel):
    """A validation run: follow `validation_job_id` like any job."""

    openapi_schema = "ValidationStarted"

    job_id: int
    images_count: int
    validation_level: str
    task_ids: list[str]
    message: str
    validation_job_id: int
    progress_url: str
