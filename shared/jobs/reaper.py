"""The stale-job reaper, run periodically by beat.

Invariants it restores:
- a running chunk whose heartbeat went quiet (worker killed, machine gone) is queued again
  for its next attempt, or failed with WORKER_LOST once its retries are spent;
- a chunk queued long ago whose message was lost in the broker is published again
  (same attempt: whichever delivery claims first wins, the other is dropped); after a
  broker restart (its run_id changed) every queued chunk is, at once
  (`republish_after_broker_restart`), since a Redis that restarts empty lost them all;
- a job past its deadline fails with TIMEOUT and its reservation is released;
- a job confirmed but never started is cancelled after PENDING_JOB_TTL_SECONDS, and a
  completed job nobody finalized is settled after FINALIZE_AFTER_SECONDS, so no
  reservation holds a user's credits forever.
Each item is handled in a transaction of its own that locks the job row first (the lock
order every path follows) and re-checks what it found, with guarded updates. Only one
reaper runs at a time on Postgres (advisory lock), however many beats exist.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import redis
from sqlalchemy.orm import Session

from shared.db import session_scope, singleton_lock, utcnow
from shared.errors import ErrorCode
from shared.jobs import lifecycle
from shared.jobs import repository as repo
from shared.jobs.models import JobStatus
from shared.jobs.outbox import enqueue_task
from shared.settings import get_settings

log = logging.getLogger(__name__)
S = JobStatus
REAPER_LOCK_KEY = 0x0C0_BEA7
_RUN_ID_KEY = "conveyor:broker_run_id"


@dataclass(kw_only=True)
class ReapReport:
    requeued: int = 0
    republished: int = 0
    chunks_failed: int = 0
    jobs_timed_out: int = 0
    pending_expired: int = 0
    settled: int = 0
    skipped_locked: bool = False


def reap_stale_jobs() -> ReapReport:
    report = ReapReport()
    with singleton_lock(REAPER_LOCK_KEY) as acquired:
        if not acquired:
            report.skipped_locked = True
            return report
        settings, now = get_settings(), utcnow()
        with session_scope() as session:
            found = {
                _recover_lost_chunk: repo.stale_running_chunk_ids(
                    session, heartbeat_before=now - timedelta(
                        seconds=settings.heartbeat_timeout_seconds)),
                _republish: repo.stale_queued_chunk_ids(
                    session, queued_before=now - timedelta(
                        seconds=settings.queued_timeout_seconds)),
                _time_out: repo.overdue_job_ids(session, now=now),
                _expire_pending: repo.expired_pending_job_ids(
                    session, created_before=now - timedelta(
                        seconds=settings.pending_job_ttl_seconds)),
                _settle_forgotten: repo.unsettled_completed_job_ids(
                    session, finished_before=now - timedelta(
                        seconds=settings.finalize_after_seconds)),
            }
        for handler, ids in found.items():
            for item_id in ids:
                _handle_one(handler, item_id, report)
    return report


Handler = Callable[[Session, int, ReapReport], None]


def _handle_one(handler: Handler, item_id: int, report: ReapReport) -> None:
    try:
        with session_scope() as session:
            handler(session, item_id, report)
    except Exception:  # one bad row must not stop the rest of the pass
        log.exception("reaper: %s(%s) failed", handler.__name__, item_id)


def _recover_lost_chunk(session: Session, chunk_id: int, report: ReapReport) -> None:
    locked = repo.lock_job_of_chunk(session, chunk_id)
    if locked is None:
        return
    job, chunk = locked
    cutoff = utcnow() - timedelta(seconds=get_settings().heartbeat_timeout_seconds)
    if chunk.status != S.RUNNING or chunk.heartbeat_at is None or chunk.heartbeat_at >= cutoff:
        return  # it settled or spoke up since the scan
    repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="worker_lost",
                   attempt=chunk.attempts, worker=chunk.worker_id)
    if chunk.attempts <= get_settings().task_max_retries:
        report.requeued += lifecycle.queue_chunk(session, job=job, chunk=chunk, source=S.RUNNING)
        return
    message = f"the worker stopped responding {chunk.attempts} times"
    if repo.transition_chunk(session, chunk=chunk, target=S.FAILED, sources=[S.RUNNING],
                             attempt=chunk.attempts, error_type=ErrorCode.WORKER_LOST.name,
                             error=message, finished_at=utcnow()):
        repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="chunk",
                       from_status="running", to_status="failed", attempt=chunk.attempts,
                       error_type=ErrorCode.WORKER_LOST.name)
        report.chunks_failed += 1
        lifecycle.advance_job(session, job)


def _republish(session: Session, chunk_id: int, report: ReapReport) -> None:
    locked = repo.lock_job_of_chunk(session, chunk_id)
    if locked is None:
        return
    job, chunk = locked
    if chunk.status != S.QUEUED or job.chunk_task is None:
        return
    attempt = chunk.attempts + 1
    chunk.queued_at = utcnow()
    enqueue_task(session, task_name=lifecycle.chunk_task_name(job, chunk),
                 task_id=f"{lifecycle.chunk_task_id(job, chunk, attempt)}"
                         f"_r{int(chunk.queued_at.timestamp() * 1000)}",
                 kwargs={"chunk_id": chunk.id, "attempt": attempt})
    repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="republished",
                   attempt=attempt)
    report.republished += 1


def _time_out(session: Session, job_id: int, report: ReapReport) -> None:
    job = repo.get_job(session, job_id, for_update=True)
    if job is not None and job.deadline_at is not None and job.deadline_at < utcnow():
        report.jobs_timed_out += lifecycle.fail_job(
            session, job=job, error_type=ErrorCode.TIMEOUT.name, retryable=True,
            message="the job did not finish before its deadline")


def _expire_pending(session: Session, job_id: int, report: ReapReport) -> None:
    job = repo.get_job(session, job_id, for_update=True)
    if job is not None and job.status == S.PENDING:
        report.pending_expired += lifecycle.cancel_job(
            session, job, reason="never started; the reservation expired") is not None


def _settle_forgotten(session: Session, job_id: int, report: ReapReport) -> None:
    job = repo.get_job(session, job_id, for_update=True)
    if job is not None and job.status == S.COMPLETED and job.finalized_at is None:
        report.settled += lifecycle.finalize_job(session, job)


def republish_after_broker_restart() -> int:
    """Publish every queued chunk again once the broker restarted; how many.

    Redis names each start with a new `run_id`. The last one seen is kept in Redis itself
    and swapped atomically, so of several relays exactly one sees the change; a Redis that
    restarted empty has lost the key too, which reads as a change as well. The embedded
    broker (SQLite) keeps its messages across restarts: nothing to do there."""
    settings = get_settings()
    if not settings.redis_url:
        return 0
    try:
        client = redis.Redis.from_url(settings.redis_url)
        run_id = str(client.info("server")["run_id"])
        previous: bytes | None = client.getset(  # type: ignore[assignment]
            f"{settings.redis_key_prefix}{_RUN_ID_KEY}", run_id)
    except redis.RedisError:  # still down: the next run looks again
        return 0
    if previous is not None and previous.decode() == run_id:
        return 0
    report = ReapReport()
    with session_scope() as session:
        # Queued before now: their messages went to the broker that is gone. One queued
        # after the restart gets a second message, which its claim makes harmless.
        ids = repo.stale_queued_chunk_ids(session, queued_before=utcnow())
    for chunk_id in ids:
        _handle_one(_republish, chunk_id, report)
    if report.republished:
        log.warning("broker restarted (run_id %s): republished %d queued chunks", run_id,
                    report.republished)
    return report.republished
