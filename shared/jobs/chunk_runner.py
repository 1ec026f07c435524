"""Running one chunk of a job inside a worker: claim, heartbeat, cancel checks, outcome.

The worker's processing function gets a `ChunkContext` and never touches the database;
everything that decides whether its result counts happens here, guarded by the attempt.
"""

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shared.db import session_scope, utcnow
from shared.errors import ConveyorError, ErrorCode, TransientError
from shared.jobs import lifecycle
from shared.jobs import repository as repo
from shared.jobs.models import Job, JobChunk, JobStatus
from shared.jobs.states import ACTIVE
from shared.logging import log_context
from shared.settings import get_settings

log = logging.getLogger(__name__)
S = JobStatus


class ChunkStopped(Exception):
    """The job was cancelled, or this attempt no longer owns the chunk: stop quietly."""


@dataclass(frozen=True, kw_only=True)
class ChunkOutput:
    result: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # Units the chunk delivered, when fewer than it was planned for (a crawl chunk keeps
    # the images it found, up to its quota); None: all of them. Completed jobs are charged
    # for delivered units.
    units_done: int | None = None
    # Stores what the result refers to (a receipt row, a result file and its record) and
    # returns the result, which replaces `result`. It runs in the settle's transaction,
    # under the job's lock, only while the job is live and the chunk still this attempt's:
    # a job cancelled meanwhile stores nothing, and the rows commit with the completion
    # or not at all.
    store: Callable[[Session], dict[str, Any]] | None = None


@dataclass(kw_only=True)
class ChunkContext:
    chunk_id: int
    job_id: int
    user_id: int
    attempt: int
    index: int
    spec: dict[str, Any]
    params: dict[str, Any]
    input_path: str | None
    units_total: int
    # Set by the work function to record a failure where its domain keeps it (a page's
    # row), as (session, error_type, error). It runs in the settle's transaction once the
    # chunk is failed for this attempt: a job cancelled meanwhile records nothing, and a
    # transient error that is retried is no failure.
    on_failure: Callable[[Session, str, str], None] | None = None
    # (chunk id, attempt) of the other chunks this worker holds meanwhile (taken ahead,
    # or done and not yet recorded): kept alive by this one's heartbeat.
    held: list[tuple[int, int]] = field(default_factory=list)
    # The claim was the first heartbeat; the next is due one interval later.
    _last_report: float = field(default_factory=time.monotonic)
    # Steps begun but not yet written: (code, percent, when it began).
    _steps: list[tuple[str, int, datetime]] = field(default_factory=list)

    def report(self, units_done: int, *, force: bool = False) -> None:
        """Heartbeat and progress; raises ChunkStopped once the job was cancelled."""
        now = time.monotonic()
        if not force and now - self._last_report < get_settings().heartbeat_interval_seconds:
            return
        self._last_report = now
        with session_scope() as session:
            alive = repo.touch_heartbeat(session, chunk_id=self.chunk_id, attempt=self.attempt,
                                         units_done=units_done, held=self.held)
            if not alive or repo.is_cancel_requested(session, self.job_id):
                raise ChunkStopped

    def step(self, code: str, percent: int, *, defer: bool = False) -> None:
        """Show the job's current step and progress (single-chunk jobs); also a heartbeat.

        `defer`: log the step with the next write (the next step, `write_steps` or the
        settle) rather than in a commit of its own. For steps that take milliseconds: a
        poll could never see them, and their commits would cost more than the steps.

        Raises ChunkStopped once the job was cancelled or this attempt lost the chunk.
        """
        self._steps.append((code, percent, utcnow()))
        if defer:
            return
        now = time.monotonic()
        heartbeat_due = now - self._last_report >= get_settings().heartbeat_interval_seconds
        with session_scope() as session:
            # The job row before the chunk row: the lock order cancel uses too. Steps come
            # milliseconds apart; the chunk's heartbeat (and its ownership check, which the
            # settle repeats anyway) only when one is due.
            # Logged as events too, so progress can be followed live (/ws reads the feed).
            moved = self.write_steps(session)
            alive = not heartbeat_due or repo.touch_heartbeat(
                session, chunk_id=self.chunk_id, attempt=self.attempt, units_done=0,
                held=self.held)
            if not (moved and alive):
                raise ChunkStopped  # the rollback takes the steps back too
            if heartbeat_due:
                self._last_report = now

    def write_steps(self, session: Session) -> bool:
        """Write the steps not yet written, in the caller's transaction; False when the
        job was cancelled or has ended (nothing written)."""
        if not self._steps:
            return True
        moved = repo.record_steps(session, job_id=self.job_id, chunk_index=self.index,
                                  steps=self._steps, attempt=self.attempt)
        # Once the transaction commits they are written; after a rollback they are stale.
        self._steps = []
        return moved


Work = Callable[[ChunkContext], ChunkOutput]
RetryDelay = Callable[[int], float]
# A follow-on takes at most this many of the job's next chunks at once (see _batch_size).
MAX_BATCH = 8


def exponential_backoff(attempt: int) -> float:
    """The default wait before a retry: RETRY_BACKOFF_SECONDS, doubling per attempt."""
    return get_settings().retry_backoff_seconds * 2 ** (attempt - 1)


def run_chunk(*, chunk_id: int, attempt: int, work: Work,
              retry_delay: RetryDelay = exponential_backoff, follow_on: bool = False) -> str:
    """Process one chunk attempt; returns the outcome word for logs and tests.

    `retry_delay(attempt)` is the wait before the next attempt after a transient failure.
    `follow_on`: once the chunk completed, go on with the job's next chunks, claimed in
    the transaction that settled the ones before (CHUNK_FOLLOW_ON_SECONDS), fast ones a
    few at a time (see `_batch_size`); the outcome is then the last one's.
    """
    context = _claim(chunk_id, attempt)
    if context is None:
        return "skipped"
    until = time.monotonic() + get_settings().chunk_follow_on_seconds if follow_on else None
    batch, outcome = [context], ""
    while batch:
        outcome, batch = _run_batch(batch, work=work, retry_delay=retry_delay, until=until)
    return outcome


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _run_batch(batch: list[ChunkContext], *, work: Work, retry_delay: RetryDelay,
               until: float | None) -> tuple[str, list[ChunkContext]]:
    """Run the chunks this worker holds, in page order, and record the completed ones in
    one transaction; that transaction takes the job's next chunks while the task is
    younger than `until` (monotonic) once they are done, so that a chain ends on time
    however long its chunks take. A chunk that did not complete is settled on its own
    (failed, or queued for a retry) and ends the chain; one that was stopped (its job
    cancelled, or the chunk lost) ends the batch too: what it holds besides is
    cancelled or lost with it."""
    done: list[tuple[ChunkContext, ChunkOutput]] = []
    outcome, chain_ends = "", False
    started = time.monotonic()
    for context in batch:
        # Held chunks (taken ahead, done but not recorded) live on this one's heartbeat.
        context.held = [(other.chunk_id, other.attempt) for other in batch
                        if other is not context]
        with log_context(job_id=context.job_id, user_id=context.user_id, chunk=context.index,
                         attempt=context.attempt):
            output, outcome = _run_one(context, work=work, retry_delay=retry_delay)
        if output is not None:
            done.append((context, output))
            continue
        chain_ends = True
        if outcome in ("stopped", "timed out"):
            break
    if not done:
        return ("failed" if outcome == "timed out" else outcome), []
    take = (0 if chain_ends or until is None or time.monotonic() >= until
            else _batch_size((time.monotonic() - started) / len(done)))
    try:
        recorded, following = _record_completions(done, take=take)
    except Exception:
        # One chunk's `store` failed, or the database did: the rollback took the whole
        # batch back. Each is recorded again on its own, and a failure is its chunk's.
        if len(done) > 1:
            log.info("recording %d chunks at once failed; one by one", len(done))
        for context, output in done:
            recorded = _handled(context, partial(_record_alone, context, output),
                                retry_delay=retry_delay)
        following = []
    last = recorded if done[-1][0] is batch[-1] else outcome
    return ("failed" if last == "timed out" else last), following


def _record_alone(context: ChunkContext, output: ChunkOutput) -> str:
    return _record_completions([(context, output)], take=0)[0]


def _run_one(context: ChunkContext, *, work: Work,
             retry_delay: RetryDelay) -> tuple[ChunkOutput | None, str]:
    """The chunk's output; or None and the outcome of settling its failure."""
    produced: list[ChunkOutput] = []

    def run() -> str:
        produced.append(work(context))
        return ""

    outcome = _handled(context, run, retry_delay=retry_delay)
    return (produced[0] if produced else None), outcome


def _handled(context: ChunkContext, step: Callable[[], str], *,
             retry_delay: RetryDelay) -> str:
    """`step`'s outcome; when it raises, the chunk's failure settled as its error says."""
    try:
        return step()
    except ChunkStopped:
        return "stopped"
    except (TransientError, OperationalError) as exc:  # a blip: broker, provider, database
        return _retry_or_fail(context, str(exc), delay=retry_delay(context.attempt))
    except ConveyorError as exc:
        return _fail(context, exc.code.name, exc.message)
    except SoftTimeLimitExceeded:
        # The task is about to be killed: no time for the chunks held besides; the reaper
        # queues them again once their heartbeats are overdue.
        _fail(context, ErrorCode.TIMEOUT.name, "the chunk exceeded its time limit")
        return "timed out"
    except Exception as exc:
        log.exception("chunk %s attempt %s crashed", context.chunk_id, context.attempt)
        return _fail(context, ErrorCode.INTERNAL.name, f"internal error: {type(exc).__name__}")


def _batch_size(seconds_per_chunk: float) -> int:
    """How many chunks to take at once after chunks that took `seconds_per_chunk` each: as
    many as fit in CHUNK_FOLLOW_ON_BATCH_SECONDS, 1 to MAX_BATCH. At PDFium's pace a
    chunk's own settle cost a fifth of its reading; slow chunks still go one by one."""
    budget = get_settings().chunk_follow_on_batch_seconds
    return max(1, min(MAX_BATCH, int(budget / max(seconds_per_chunk, 1e-6))))


def _claim(chunk_id: int, attempt: int) -> ChunkContext | None:
    with session_scope() as session:
        job = repo.lock_job_to_claim(session, chunk_id=chunk_id, attempt=attempt)
        if job is None:
            return None
        chunk = repo.claim_chunk(session, chunk_id=chunk_id, attempt=attempt,
                                 worker_id=_worker_id())
        if chunk is None:
            return None
        lifecycle.mark_job_running(session, job)
        return _context_of(job, chunk)


def _context_of(job: Job, chunk: JobChunk) -> ChunkContext:
    return ChunkContext(chunk_id=chunk.id, job_id=job.id, user_id=job.user_id,
                        attempt=chunk.attempts, index=chunk.index, spec=dict(chunk.spec),
                        params=dict(job.params), input_path=job.input_path,
                        units_total=chunk.units_total)


def _record_completions(done: list[tuple[ChunkContext, ChunkOutput]], *,
                        take: int) -> tuple[str, list[ChunkContext]]:
    """Record the completed chunks that are still this worker's attempts, in one
    transaction; advance the job, and take up to `take` of its next chunks for this
    worker when every one was recorded (their contexts are returned). The outcome is
    the last chunk's."""
    with session_scope() as session:
        # Deferred steps first: their UPDATE takes the job row's lock, in the usual
        # order, and the read below sees it.
        for context, _ in done:
            context.write_steps(session)
        job = repo.lock_job_for_chunk(session, done[0][0].chunk_id)
        assert job is not None
        # Read under the job's lock, which every status change of a chunk takes: this
        # one read serves the checks below and the job's next decisions.
        chunks = repo.chunks_of(session, job.id)
        by_id = {chunk.id: chunk for chunk in chunks}
        outcomes = _record_all(session, done, job=job, by_id=by_id)
        if "completed" not in outcomes:
            return outcomes[-1], []
        every_one = all(outcome == "completed" for outcome in outcomes)
        taken = lifecycle.advance_job(session, job, chunks=chunks,
                                      taker=_worker_id() if take and every_one else None,
                                      after=done[-1][0].index, take=take)
        following = [_context_of(job, chunk) for chunk in taken]
    return outcomes[-1], following


def _record_all(session: Session, done: list[tuple[ChunkContext, ChunkOutput]], *,
                job: Job, by_id: dict[int, JobChunk]) -> list[str]:
    """Each completed chunk's outcome, recorded. Results that need no `store` go in one
    statement for the batch (one round trip instead of one a chunk): the chunk rows, read
    under the job's lock, say which of the updates will find their row as this attempt
    left it (nothing changes a chunk's status or attempt without that lock)."""
    if any(output.store is not None for _, output in done):
        return [_record_completion(session, context, output, job=job,
                                   chunk=by_id[context.chunk_id])
                for context, output in done]
    live = [_still_ours(context, by_id[context.chunk_id]) for context, _ in done]
    ours = [pair for pair, is_ours in zip(done, live, strict=True) if is_ours]
    finished_at = utcnow()
    repo.transition_chunks(session, target=S.COMPLETED, sources=[S.RUNNING], updates=[
        (by_id[context.chunk_id], context.attempt,
         {"finished_at": finished_at,
          **_completion(session, output, units_total=by_id[context.chunk_id].units_total)})
        for context, output in ours])
    for context, _ in ours:
        repo.add_event(session, job_id=job.id, chunk_index=context.index, event_type="chunk",
                       from_status="running", to_status=S.COMPLETED.value,
                       attempt=context.attempt)
    return ["completed" if is_ours else "stale" for is_ours in live]


def _still_ours(context: ChunkContext, chunk: JobChunk) -> bool:
    return chunk.status == S.RUNNING and chunk.attempts == context.attempt


def _record_completion(session: Session, context: ChunkContext, output: ChunkOutput, *,
                       job: Job, chunk: JobChunk) -> str:
    """Record one completed chunk, if it is still this attempt's (its `store` runs here)."""
    if output.store is not None and not _live_and_ours(context, job, chunk):
        return "stopped"
    done = _completion(session, output, units_total=chunk.units_total)
    if not repo.transition_chunk(session, chunk=chunk, target=S.COMPLETED, sources=[S.RUNNING],
                                 attempt=context.attempt, finished_at=utcnow(), **done):
        return "stale"
    repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="chunk",
                   from_status="running", to_status=S.COMPLETED.value,
                   attempt=context.attempt)
    return "completed"


def _fail(context: ChunkContext, error_type: str, message: str) -> str:
    """Record this attempt's failure, if the chunk is still this attempt's; advance the
    job."""
    with session_scope() as session:
        # Deferred steps first (they show how far the chunk got).
        context.write_steps(session)
        job = repo.lock_job_for_chunk(session, context.chunk_id)
        assert job is not None
        chunks = repo.chunks_of(session, job.id)
        chunk = next(c for c in chunks if c.id == context.chunk_id)
        if not repo.transition_chunk(session, chunk=chunk, target=S.FAILED, sources=[S.RUNNING],
                                     attempt=context.attempt, finished_at=utcnow(),
                                     error_type=error_type, error=message):
            return "stale"
        if context.on_failure is not None:
            context.on_failure(session, error_type, message)
        repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="chunk",
                       from_status="running", to_status=S.FAILED.value,
                       attempt=context.attempt, error=message, error_type=error_type)
        lifecycle.advance_job(session, job, chunks=chunks)
    return S.FAILED.value


def _live_and_ours(context: ChunkContext, job: Job, chunk: JobChunk) -> bool:
    return (job.status in ACTIVE and not job.cancel_requested
            and chunk.status == S.RUNNING and chunk.attempts == context.attempt)


def _completion(session: Session, output: ChunkOutput, *, units_total: int) -> dict[str, Any]:
    """A completed chunk's columns; runs `output.store`, if any, in `session`."""
    result = output.result if output.store is None else output.store(session)
    return {"result": result,
            "metrics": {**output.metrics, "items": len(result.get("items", []))},
            "units_done": units_total if output.units_done is None else output.units_done}


def _retry_or_fail(context: ChunkContext, message: str, *, delay: float) -> str:
    if context.attempt > get_settings().task_max_retries:
        return _fail(context, ErrorCode.UPSTREAM_UNAVAILABLE.name,
                     f"gave up after {context.attempt} attempts: {message}")
    with session_scope() as session:
        locked = repo.lock_job_of_chunk(session, context.chunk_id)
        assert locked is not None
        job, chunk = locked
        if chunk.attempts != context.attempt or not lifecycle.queue_chunk(
                session, job=job, chunk=chunk, source=S.RUNNING, countdown_seconds=delay):
            return "stale"
        repo.transition_job(session, job=job, target=S.RETRYING, sources=[S.RUNNING])
        repo.add_event(session, job_id=job.id, chunk_index=chunk.index, event_type="retry",
                       attempt=context.attempt, delay_seconds=delay, error=message[:500])
    return "retrying"
