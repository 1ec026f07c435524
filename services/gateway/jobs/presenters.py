"""Job service views rendered in the seed documents' shapes and status words."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.gateway.jobs.schemas import (
    CrawlJobProgressDocument,
    CrawlResultSummary,
    FailedChunkDocument,
    JobCancelled,
    JobProgressDocument,
    JobStatusDocument,
    PdfJobStatusDocument,
    PdfResultSummary,
    RefusedUrl,
    ResultDownloads,
    ResultSummary,
    TaskInfo,
    TaskState,
    ValidationResultSummary,
)
from services.gateway.pdf.results import page_notes
from shared.crawl.params import ValidationParams
from shared.jobs.contract import CancelView, FailedChunk, JobSummary, JobView
from shared.jobs.models import JobKind, JobStatus
from shared.jobs.states import Vocabulary, public_status
from shared.pdf_job import GeminiUsage, PdfOptions

MODEL_NAMES = {"balanced": "gemini-2.5-flash", "quality": "gemini-2.5-pro",
               "speed": "gemini-2.5-flash-lite"}


def status_document(job: JobView) -> JobStatusDocument:
    """Seed 001's `GET /api/v1/jobs/{job_id}` document, plus failure and credit details;
    the PDF's model and Gemini usage on PDF jobs only."""
    if job.kind == JobKind.PDF:
        return pdf_status_document(job)
    return JobStatusDocument(**_status_fields(job))


def pdf_status_document(job: JobView) -> PdfJobStatusDocument:
    usage = GeminiUsage.model_validate(job.metrics)
    return PdfJobStatusDocument(
        **_status_fields(job),
        model=MODEL_NAMES[job.params_as(PdfOptions).gemini_model or "balanced"],
        gemini_api_calls=usage.gemini_api_calls, gemini_tokens_used=usage.gemini_tokens_used)


def _status_fields(job: JobView) -> dict[str, Any]:
    """JobStatusDocument's fields, for the document of the job's kind (built once: every
    status poll builds one)."""
    chunks = job.chunks
    return dict(
        id=job.id, uuid=job.uuid, user_id=job.user_id, kind=job.kind,
        status=public_status(job.status, Vocabulary.V1_JOBS),
        original_filename=job.original_filename, page_count=job.page_count,
        estimated_credits=job.estimated_credits, reserved_credits=job.reserved_credits,
        charged_credits=job.charged_credits, finalized=job.finalized_at is not None,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        updated_at=job.updated_at, progress_percent=job.progress_percent,
        current_step=job.current_step, total_chunks=chunks.total,
        processed_chunks=chunks.completed, active_chunks=chunks.active,
        partial=job.partial, failed_chunks=failed_chunk_documents(job.failed_chunks),
        failed_chunk_count=chunks.failed, celery_task_id=job.celery_task_id,
        task_state=TaskState(
            state=public_status(job.status, Vocabulary.V3_RECEIPTS,
                                progress=job.progress_percent),
            info=TaskInfo(current=chunks.completed + chunks.failed, total=chunks.total)),
        processing_time_seconds=job.processing_time_seconds, error=job.error,
        error_type=job.error_type, retryable=job.retryable, result=_result_summary(job))


def failed_chunk_documents(chunks: list[FailedChunk]) -> list[FailedChunkDocument]:
    """The chunks with their specs (extra fields) as the job service reported them."""
    return [FailedChunkDocument.model_validate(chunk.model_dump()) for chunk in chunks]


def _result_summary(job: JobView) -> ResultSummary | None:
    """What a completed job produced, in its kind's terms, and where to fetch it."""
    if job.status != JobStatus.COMPLETED or job.result is None:
        return None
    summarise = _RESULT_SUMMARIES.get(job.kind)
    return summarise(job, job.result) if summarise else None


def _pdf_result(job: JobView, summary: JobSummary) -> PdfResultSummary:
    base = f"/api/v1/jobs/{job.id}/result"
    return PdfResultSummary(
        sentence_count=summary.item_count,
        downloads=ResultDownloads(json=f"{base}?format=json", text=f"{base}?format=txt"),
        **page_notes(job))


def _crawl_result(job: JobView, summary: JobSummary) -> CrawlResultSummary:
    """Also what the crawl refused (the chunks' metrics, added up by the job service)."""
    metrics = job.metrics
    return CrawlResultSummary(downloaded_images=summary.completed_units,
                              images_url=f"/api/v1/jobs/{job.id}/images",
                              validate_url=f"/api/v1/validation/job/{job.id}/",
                              refused_images=metrics.get("refused_images", 0),
                              refused_pages=metrics.get("refused_pages", 0),
                              refused_urls=[RefusedUrl.model_validate(refusal) for refusal
                                            in metrics.get("refused_urls", [])])


def _validation_result(job: JobView, summary: JobSummary) -> ValidationResultSummary:
    """The verdicts themselves, and their counts, are listed with the crawl job's images
    (a slow run's later batches can still mark an earlier batch's image a duplicate)."""
    params = job.params_as(ValidationParams)
    return ValidationResultSummary(crawl_job_id=params.crawl_job_id,
                                   validation_level=params.level,
                                   validated_images=summary.completed_units,
                                   images_url=f"/api/v1/jobs/{params.crawl_job_id}/images")


_RESULT_SUMMARIES: dict[JobKind, Callable[[JobView, JobSummary], ResultSummary]] = {
    JobKind.PDF: _pdf_result, JobKind.CRAWL: _crawl_result,
    JobKind.VALIDATION: _validation_result}


def progress_document(job: JobView) -> JobProgressDocument:
    """Seed 004's chunk statistics; a crawl job's live count of the images it kept."""
    chunks = job.chunks
    document = JobProgressDocument(
        job_id=job.id, status=public_status(job.status, Vocabulary.V1_CRAWL),
        progress=job.progress_percent, total_chunks=chunks.total,
        active_chunks=chunks.active, completed_chunks=chunks.completed,
        failed_chunks=chunks.failed, partial=job.partial, estimated_completion=_eta(job),
        started_at=job.started_at, updated_at=job.updated_at)
    if job.kind != JobKind.CRAWL:
        return document
    # Each crawl chunk counts its kept images as it goes.
    return CrawlJobProgressDocument(**dict(document), downloaded_images=chunks.units_done)


def _eta(job: JobView) -> str | None:
    progress, started = job.progress_percent, job.started_at
    if job.status not in (JobStatus.RUNNING, JobStatus.RETRYING) or not progress or not started:
        return None
    elapsed = (datetime.now(UTC) - started).total_seconds()
    remaining = elapsed * (100 - progress) / progress
    return (datetime.now(UTC) + timedelta(seconds=remaining)).isoformat()


def cancel_document(view: CancelView) -> JobCancelled:
    """Seed 001's answer, word for word, then how many tasks were revoked."""
    return JobCancelled(message="Job cancelled successfully", job_id=view.job.id,
                        status=public_status(view.job.status, Vocabulary.V1_JOBS),
                        revoked_tasks=view.revoked_tasks)
