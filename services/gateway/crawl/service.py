"""Crawl jobs at the gateway (seed 004): create one, list the images it kept, validate
them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.gateway.crawl.schemas import (
    CrawlImageDocument,
    ImageReason,
    JobImages,
    ValidationStarted,
    VerdictCounts,
)
from services.gateway.idempotency import request_fingerprint
from services.gateway.jobs_client import JobsClient
from shared.crawl import repository as crawl_repo
from shared.crawl.models import CrawlImage
from shared.crawl.params import CrawlRequest, ValidationLevel, ValidationParams
from shared.db import in_transaction_thread
from shared.jobs.contract import CreateJob, JobView
from shared.jobs.models import JobKind


async def create_crawl_job(jobs: JobsClient, *, user_id: int, request: CrawlRequest,
                           idempotency_key: str | None = None,
                           webhook_endpoint_id: int | None = None) -> JobView:
    """A pending crawl job with `max_images` credits reserved (402 when short)."""
    params = request.job_params()
    return await jobs.create(CreateJob(
        user_id=user_id, kind=JobKind.CRAWL, units=request.max_images,
        original_filename=request.name, params=params, idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint(JobKind.CRAWL, params=params,
                                                webhook_endpoint_id=webhook_endpoint_id),
        webhook_endpoint_id=webhook_endpoint_id))


async def start_validation(jobs: JobsClient, *, user_id: int, job_id: int,
                           level: ValidationLevel, idempotency_key: str | None = None,
                           webhook_endpoint_id: int | None = None,
                           callback_secret: str | None = None) -> ValidationStarted:
    """A validation job over the crawl job's images, queued at once (seed 004's answer);
    `webhook_endpoint_id` and `callback_secret` from the request's callback_url, if any.
    The job service answers a repeated `idempotency_key` before it checks that no other
    run is unfinished: a replay is the first run, not one refused for being second."""
    await jobs.get(user_id, job_id)  # 404 unless it is the caller's job
    params = ValidationParams(crawl_job_id=job_id, level=level).model_dump(mode="json")
    view = await jobs.create(CreateJob(
        user_id=user_id, kind=JobKind.VALIDATION, units=0, start=True,
        original_filename=f"validation of job {job_id}", params=params,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint(JobKind.VALIDATION, params=params,
                                                webhook_endpoint_id=webhook_endpoint_id),
        webhook_endpoint_id=webhook_endpoint_id))
    count = view.chunks.units_total
    return ValidationStarted(job_id=job_id, images_count=count, validation_level=level,
                             task_ids=view.task_ids,
                             message=f"Validation started for {count} images",
                             validation_job_id=view.id,
                             progress_url=f"/api/v1/jobs/{view.id}/progress",
                             callback_secret=callback_secret)


async def job_images(jobs: JobsClient, *, user_id: int, job_id: int,
                     filters: dict[str, Any]) -> JobImages:
    await jobs.get(user_id, job_id)  # 404 unless it is the caller's job
    rows, total, verdicts = await in_transaction_thread(_images, job_id=job_id,
                                                        filters=filters)
    return JobImages(job_id=job_id, total=total, limit=filters["limit"],
                     offset=filters["offset"], verdicts=VerdictCounts(**verdicts),
                     images=[image_document(row) for row in rows])


def _images(session: Session, *, job_id: int, filters: dict[str, Any]
            ) -> tuple[list[CrawlImage], int, dict[str, int]]:
    rows, total = crawl_repo.images_of_job(session, job_id=job_id, **filters)
    return rows, total, crawl_repo.verdict_counts(session, job_id)


def image_document(image: CrawlImage) -> CrawlImageDocument:
    return CrawlImageDocument(
        id=image.id, keyword=image.keyword, engine=image.engine,
        source_url=image.source_url, page_url=image.page_url, alt_text=image.alt_text,
        relevance=round(image.relevance, 3), sha256=image.sha256,
        size_bytes=image.size_bytes, declared_type=image.declared_type,
        format=image.detected_format, width=image.width, height=image.height,
        created_at=image.created_at, validation_level=image.validation_level,
        verdict=image.verdict,
        reasons=[ImageReason.model_validate(reason) for reason in image.reasons or []],
        validated_at=image.validated_at)
