"""Turning job rows into the job service's JobView."""

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from services.jobs.jobs import repository as repo
from services.jobs.jobs.repository import ChunkTally, JobRecord
from shared.db import utcnow
from shared.jobs import lifecycle
from shared.jobs.contract import ChunkStats, FailedChunk, JobSummary, JobView
from shared.jobs.lifecycle import ChunkFacts
from shared.jobs.models import Job, JobChunk, JobKind, JobStatus
from shared.jobs.states import ACTIVE, TERMINAL, Vocabulary, public_status

S = JobStatus


def v1_word(job: Job) -> str:
    """The job's status in the v1 words of its kind's seed (004 says "running" for crawls,
    001 "processing")."""
    vocabulary = Vocabulary.V1_CRAWL if job.kind == JobKind.CRAWL else Vocabulary.V1_JOBS
    return public_status(job.status, vocabulary)


def job_view(session: Session, job: Job, *, with_result: bool = False,
             chunks: Sequence[JobChunk] | None = None) -> JobView:
    """The view of a job the session holds (one it changed, say); `with_result` adds an
    ended job's result items, those of its completed chunks (the same read of its chunks,
    with their result documents): a cancelled page task shows the pages it read.
    `chunks`: all of the job's chunks, current, when the caller has them."""
    if chunks is not None:
        return view_of(job, chunks, with_result=with_result)
    tallies = (repo.chunk_tallies(session, job.id, with_metrics=job.status in ACTIVE,
                                  with_results=with_result and job.status in TERMINAL)
               if job.total_chunks else [])
    return view_of(job, tallies, with_result=with_result)


def view_of(job: Job | JobRecord, chunks: Sequence[JobChunk | ChunkTally], *,
            with_result: bool = False) -> JobView:
    """`job_view` of a job whose chunks were read (their metrics while it is active, their
    result documents for `with_result` once it ended)."""
    with_result = with_result and job.status in TERMINAL
    live = job.status in ACTIVE  # its metrics are its chunks', summed; then its own
    stats = _chunk_stats(job.total_chunks, chunks)
    progress = job.progress_percent
    if live and chunks:  # live, but never below what was already shown
        progress = max(progress, lifecycle.progress_percent(chunks))
    end = job.finished_at or (utcnow() if live else None)
    elapsed = round((end - job.started_at).total_seconds(), 3) if end and job.started_at else None
    return JobView(
        id=job.id, uuid=job.uuid, user_id=job.user_id, kind=job.kind, status=job.status,
        cancel_requested=job.cancel_requested, original_filename=job.original_filename,
        input_path=job.input_path, input_sha256=job.input_sha256, page_count=job.page_count,
        params=job.params, progress_percent=progress, current_step=_step(job, stats),
        chunks=stats, error=job.error,
        failed_chunks=[FailedChunk.model_validate(c) for c in lifecycle.failed_chunks(chunks)],
        error_type=job.error_type, retryable=job.retryable, celery_task_id=job.celery_task_id,
        task_ids=[c.task_id for c in chunks if c.task_id], attempts=job.attempts,
        estimated_credits=job.estimated_credits, reserved_credits=job.reserved_credits,
        charged_credits=job.charged_credits, finalized_at=job.finalized_at,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        updated_at=job.updated_at, processing_time_seconds=elapsed,
        result=JobSummary.model_validate(job.result) if job.result is not None else None,
        metrics=lifecycle.merged_metrics(chunks) if live else (job.metrics or {}),
        result_items=result_items(chunks) if with_result else None)


def result_items(chunks: Sequence[JobChunk | ChunkTally]) -> list[Any]:
    items: list[Any] = []
    for chunk in chunks:
        items.extend((chunk.result or {}).get("items", []))
    return items


def _chunk_stats(total: int, chunks: Sequence[ChunkFacts]) -> ChunkStats:
    counts = Counter(c.status for c in chunks)
    return ChunkStats(
        total=total, pending=counts[S.PENDING], active=sum(counts[s] for s in ACTIVE),
        completed=counts[S.COMPLETED], failed=counts[S.FAILED], cancelled=counts[S.CANCELLED],
        units_done=sum(c.units_done for c in chunks),
        units_total=sum(c.units_total for c in chunks))


def _step(job: Job | JobRecord, stats: ChunkStats) -> str | None:
    """Fan-out jobs show which chunk they are at; a single-chunk job shows the step its
    worker reported (the receipt pipeline's steps, for example)."""
    reported = stats.total == 1 and job.current_step not in (None, lifecycle.QUEUED_STEP)
    if job.status in ACTIVE and stats.total and not reported:
        current = min(stats.total, stats.completed + stats.failed + 1)
        return f"Processing chunk {current}/{stats.total}"
    return job.current_step
