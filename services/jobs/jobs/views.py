"""Turning job rows into the job service's JobView."""

from typing import Any

from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.jobs import lifecycle
from shared.jobs import repository as repo
from shared.jobs.contract import ChunkStats, FailedChunk, JobSummary, JobView
from shared.jobs.models import Job, JobChunk, JobKind, JobStatus
from shared.jobs.states import ACTIVE, TERMINAL, Vocabulary, public_status

S = JobStatus


def v1_word(job: Job) -> str:
    """The job's status in the v1 words of its kind's seed (004 says "running" for crawls,
    001 "processing")."""
    vocabulary = Vocabulary.V1_CRAWL if job.kind == JobKind.CRAWL else Vocabulary.V1_JOBS
    return public_status(job.status, vocabulary)


def job_view(session: Session, job: Job, *, with_result: bool = False,
             chunks: list[JobChunk] | None = None) -> JobView:
    """The view of `job`; `with_result` adds an ended job's result items, those of its
    completed chunks (the same read of its chunks, with their result documents): a
    cancelled page task shows the pages it read. `chunks`: all of the job's chunks,
    current, when the caller has them."""
    with_result = with_result and job.status in TERMINAL
    if chunks is None:
        chunks = (repo.chunks_of(session, job.id, with_results=with_result)
                  if job.total_chunks else [])
    stats = ChunkStats(
        total=job.total_chunks,
        pending=sum(c.status == S.PENDING for c in chunks),
        active=sum(c.status in ACTIVE for c in chunks),
        completed=sum(c.status == S.COMPLETED for c in chunks),
        failed=sum(c.status == S.FAILED for c in chunks),
        cancelled=sum(c.status == S.CANCELLED for c in chunks),
        units_done=sum(c.units_done for c in chunks),
        units_total=sum(c.units_total for c in chunks))
    summary = lifecycle.summarise_chunks(chunks)
    progress = job.progress_percent
    if job.status in ACTIVE and chunks:  # live, but never below what was already shown
        progress = max(progress, lifecycle.progress_percent(chunks))
    end = job.finished_at or (utcnow() if job.status in ACTIVE else None)
    elapsed = round((end - job.started_at).total_seconds(), 3) if end and job.started_at else None
    return JobView(
        id=job.id, uuid=job.uuid, user_id=job.user_id, kind=job.kind, status=job.status,
        cancel_requested=job.cancel_requested, original_filename=job.original_filename,
        input_path=job.input_path, input_sha256=job.input_sha256, page_count=job.page_count,
        params=job.params, progress_percent=progress, current_step=_step(job, stats),
        chunks=stats, error=job.error,
        failed_chunks=[FailedChunk.model_validate(c) for c in summary["failed_chunks"]],
        error_type=job.error_type, retryable=job.retryable, celery_task_id=job.celery_task_id,
        task_ids=[c.task_id for c in chunks if c.task_id], attempts=job.attempts,
        estimated_credits=job.estimated_credits, reserved_credits=job.reserved_credits,
        charged_credits=job.charged_credits, finalized_at=job.finalized_at,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        updated_at=job.updated_at, processing_time_seconds=elapsed,
        result=JobSummary.model_validate(job.result) if job.result is not None else None,
        metrics=summary["metrics"] if job.status in ACTIVE else (job.metrics or {}),
        result_items=result_items(chunks) if with_result else None)


def result_items(chunks: list[JobChunk]) -> list[Any]:
    items: list[Any] = []
    for chunk in chunks:
        items.extend((chunk.result or {}).get("items", []))
    return items


def _step(job: Job, stats: ChunkStats) -> str | None:
    """Fan-out jobs show which chunk they are at; a single-chunk job shows the step its
    worker reported (the receipt pipeline's steps, for example)."""
    reported = stats.total == 1 and job.current_step not in (None, lifecycle.QUEUED_STEP)
    if job.status in ACTIVE and stats.total and not reported:
        current = min(stats.total, stats.completed + stats.failed + 1)
        return f"Processing chunk {current}/{stats.total}"
    return job.current_step
