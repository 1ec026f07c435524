"""The stale-job reaper, run periodically by beat.

Invariants it restores:
- a running chunk whose heartbeat went quiet (worker killed, machine gone) is queued again
  for its next attempt, or failed with WORKER_LOST once its retries are spent;
- a chunk queued long ago whose message was lost in the broker is published again
  (same attempt: whichever delivery claims first wins, the other is dropped);
- a job past its deadline fails with TIMEOUT and its reservation is released;
- a job confirmed but never started is cancelled after PENDING_JOB_TTL_SECONDS, so its
  reservation does not hold the user's credits forever.
Only one reaper runs at a time on Postgres (advisory lock), however many beats exist.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.celery_app import TaskName
from shared.db import is_postgres, session_scope, utcnow
from shared.errors import ErrorCode
from shared.jobs import lifecycle
from shared.jobs import repository as repo
from shared.jobs.models import JobChunk, JobStatus
from shared.jobs.outbox import enqueue_task
from shared.settings import get_settings

log = logging.getLogger(__name__)
S = JobStatus
REAPER_LOCK_KEY = 0x0C0_BEA7


@dataclass(kw_only=True)
class ReapReport:
    requeued: int = 0
    republished: int = 0
    chunks_failed: int = 0
    jobs_timed_out: int = 0
    pending_expired: int = 0
    skipped_locked: bool = False


def try_singleton_lock(session: Session, key: int) -> bool:
    """Transaction-scoped advisory lock; SQLite (embedded, one beat) always gets it."""
    if not is_postgres(session):
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


def reap_stale_jobs() -> ReapReport:
    report = ReapReport()
    settings = get_settings()
    now = utcnow()
    with session_scope() as session:
        if not try_singleton_lock(session, REAPER_LOCK_KEY):
            report.skipped_locked = True
            return report
        heartbeat_cutoff = now - timedelta(seconds=settings.heartbeat_timeout_seconds)
        for chunk in repo.stale_running_chunks(session, heartbeat_before=heartbeat_cutoff):
            _recover_lost_chunk(session, chunk, report)
        queued_cutoff = now - timedelta(seconds=settings.queued_timeout_seconds)
        for chunk in repo.stale_queued_chunks(session, queued_before=queued_cutoff):
            _republish(session, chunk, report)
        for job in repo.overdue_jobs(session, now=now):
            report.jobs_timed_out += lifecycle.fail_job(
                session, job=job, error_type=ErrorCode.TIMEOUT.name, retryable=True,
                message="the job did not finish before its deadline")
        pending_cutoff = now - timedelta(seconds=settings.pending_job_ttl_seconds)
        for job in repo.expired_pending_jobs(session, created_before=pending_cutoff):
            report.pending_expired += lifecycle.cancel_job(
                session, job, reason="never started; the reservation expired") is not None
    return report


def _recover_lost_chunk(session: Session, chunk: JobChunk, report: ReapReport) -> None:
    job = repo.get_job(session, chunk.job_id)
    assert job is not None
    repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="worker_lost",
                   attempt=chunk.attempts)
    if chunk.attempts <= get_settings().task_max_retries:
        report.requeued += lifecycle.queue_chunk(session, job=job, chunk=chunk, source=S.RUNNING)
        return
    if repo.transition_chunk(session, chunk=chunk, target=S.FAILED, sources=[S.RUNNING],
                             attempt=chunk.attempts, error_type=ErrorCode.WORKER_LOST.name,
                             error=f"the worker stopped responding {chunk.attempts} times",
                             finished_at=utcnow()):
        report.chunks_failed += 1
        lifecycle.advance_job(session, job.id)


def _republish(session: Session, chunk: JobChunk, report: ReapReport) -> None:
    job = repo.get_job(session, chunk.job_id)
    assert job is not None and job.chunk_task is not None
    attempt = chunk.attempts + 1
    chunk.queued_at = utcnow()
    enqueue_task(session, task_name=TaskName(job.chunk_task),
                 task_id=f"{lifecycle.chunk_task_id(job, chunk, attempt)}_r{report.republished}"
                         f"_{int(chunk.queued_at.timestamp())}",
                 kwargs={"chunk_id": chunk.id, "attempt": attempt})
    repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="republished",
                   attempt=attempt)
    report.republished += 1
