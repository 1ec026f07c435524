"""Job lifecycle steps shared by the job service, the workers and the reaper.

Each function works inside the caller's transaction and flushes; task messages go through
the outbox so they are published only once the transaction committed.
"""

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy.orm import Session

from shared.celery_app import FOLLOWS_ON, TASK_QUEUES, TaskName
from shared.credits import ledger
from shared.credits.prices import (
    BILLED_FOR_PARTIAL_WORK,
    SETTLED_ON_COMPLETION,
    estimate_credits,
)
from shared.db import utcnow
from shared.errors import ErrorCode
from shared.jobs import repository as repo
from shared.jobs.models import PAGE_KINDS, Job, JobChunk, JobStatus
from shared.jobs.outbox import TaskRequest, enqueue_task, enqueue_tasks
from shared.jobs.states import ACTIVE, CANCELLABLE, TERMINAL
from shared.pages import repository as pages_repo
from shared.settings import get_settings
from shared.webhooks import events as webhook_events
from shared.worker_heartbeat import live_slots

S = JobStatus
QUEUED_STEP = "Queued"  # a started job's step until a worker reports one
# A job's progress is written at most this often (4 a second): a fast job settles dozens
# of chunks a second, and each write is a row version and a webhook lookup, for a figure
# nobody reads that often. The job row's `updated_at` is when it was last written; the
# closing write sets 100 whatever the interval.
PROGRESS_WRITE_INTERVAL = timedelta(seconds=0.25)


class ChunkFacts(Protocol):
    """What a job's totals and view read of a chunk: a `JobChunk`, or the lighter row the
    job service reads for a view (its `ChunkTally`: spec and metrics may be None there)."""

    @property
    def index(self) -> int: ...
    @property
    def status(self) -> JobStatus: ...
    @property
    def units_done(self) -> int: ...
    @property
    def units_total(self) -> int: ...
    @property
    def task_id(self) -> str | None: ...
    @property
    def error_type(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def spec(self) -> dict[str, Any] | None: ...
    @property
    def metrics(self) -> dict[str, Any] | None: ...


def chunk_task_id(job: Job, chunk: JobChunk, attempt: int) -> str:
    """A chunk's spec may carry the id its first task must have (seed 004's validation
    tasks are `task_<job>_<n>`, its download tasks uuid4s); later attempts add the
    attempt, ids being unique."""
    first = chunk.spec.get("task_id")
    if first:
        return first if attempt == 1 else f"{first}_a{attempt}"
    return f"{job.celery_task_id}_c{chunk.index}_a{attempt}"


def chunk_task_name(job: Job, chunk: JobChunk) -> TaskName:
    """The job's chunk task, unless the chunk names its own (a crawl's engines each have
    a task, so each engine has its own rate limit)."""
    name = chunk.spec.get("task_name") or job.chunk_task
    assert name is not None
    return TaskName(name)


def new_job_task_id(job_id: int) -> str:
    # The seed's format: job_<id>_<unix time with microseconds>.
    return f"job_{job_id}_{time.time():.6f}"


def queue_chunk(session: Session, *, job: Job, chunk: JobChunk, source: JobStatus,
                countdown_seconds: float = 0.0) -> bool:
    """Mark a chunk queued for its next attempt and put its task message in the outbox.

    The guard includes the attempt counter read now, so two requeuers (a retrying worker
    and the reaper) cannot both queue the same chunk.
    """
    attempt = chunk.attempts + 1
    task_id = chunk_task_id(job, chunk, attempt)
    if not repo.transition_chunk(session, chunk=chunk, target=S.QUEUED, sources=[source],
                                 attempt=chunk.attempts, task_id=task_id, queued_at=utcnow(),
                                 units_done=0, worker_id=None):
        return False
    enqueue_task(session, task_name=chunk_task_name(job, chunk), task_id=task_id,
                 kwargs={"chunk_id": chunk.id, "attempt": attempt},
                 countdown_seconds=countdown_seconds)
    return True


def fill_parallel_slots(session: Session, job: Job, chunks: list[JobChunk] | None = None) -> int:
    """Queue pending chunks until `job.parallelism` chunks are in flight; for a task that
    follows on, also no more than its live workers can take (`_free_pool_processes`)."""
    chunks = repo.chunks_of(session, job.id) if chunks is None else chunks
    waiting = [c for c in chunks if c.status == S.PENDING]
    room = job.parallelism - sum(1 for c in chunks if c.status in ACTIVE)
    if not waiting or room <= 0:
        return 0
    if job.chunk_task is not None and job.chunk_task in FOLLOWS_ON:
        room = min(room, _free_pool_processes(session, TaskName(job.chunk_task), chunks))
    queued = 0
    for chunk in waiting[:room]:
        queued += queue_chunk(session, job=job, chunk=chunk, source=S.PENDING)
    return queued


def _free_pool_processes(session: Session, task: TaskName, chunks: Sequence[JobChunk]) -> int:
    """How many more of a job's chunks should have task messages when its task follows on:
    one for each pool process of the live workers on the task's queue that is not on the
    job yet. A process is on it when it runs the job's chunks (a batch taken ahead is
    still one process) or when one of the job's messages waits for it. Never none while
    nothing of the job is in flight, so that a job goes on while no heartbeat is fresh
    (workers starting, or the database slow); workers that join later get messages as
    the job's chunks settle.

    More messages would find their chunks taken by the workers that follow on: each is
    a claim and a task's overhead for nothing (three per 300-page PDF with two workers)."""
    on_the_job = (len({c.worker_id for c in chunks if c.status == S.RUNNING})
                  + sum(1 for c in chunks if c.status in (S.QUEUED, S.RETRYING)))
    live = live_slots(session, queue=TASK_QUEUES[task].value)
    return max(live - on_the_job, 1 if on_the_job == 0 else 0)


def start_job(session: Session, *, job: Job, chunk_specs: list[dict[str, Any]],
              parallelism: int, chunk_task: TaskName, units_per_chunk: list[int]
              ) -> list[JobChunk] | None:
    """Queue a pending job's work; its chunks, or None when the job was no longer pending."""
    settings = get_settings()
    now = utcnow()
    if not repo.transition_job(
            session, job=job, target=S.QUEUED, sources=[S.PENDING],
            celery_task_id=new_job_task_id(job.id), total_chunks=len(chunk_specs),
            parallelism=parallelism, chunk_task=chunk_task.value, started_at=now,
            deadline_at=now + timedelta(seconds=settings.job_deadline_seconds),
            current_step=QUEUED_STEP):
        return None
    chunks = [JobChunk(job_id=job.id, index=index, spec=spec, units_total=units,
                       status=S.PENDING, attempts=0, units_done=0)
              for index, (spec, units) in enumerate(zip(chunk_specs, units_per_chunk,
                                                        strict=True))]
    # The first chunks are written queued, their messages with them: what
    # `fill_parallel_slots` would do, without an UPDATE and an INSERT per chunk.
    if chunk_task in FOLLOWS_ON:
        parallelism = min(parallelism, _free_pool_processes(session, chunk_task, []))
    first = chunks[:parallelism]
    for chunk in first:
        chunk.status, chunk.queued_at = S.QUEUED, now
        chunk.task_id = chunk_task_id(job, chunk, 1)
    session.add_all(chunks)
    session.flush()
    enqueue_tasks(session, [TaskRequest(task_name=chunk_task_name(job, chunk),
                                        task_id=chunk.task_id or "",
                                        kwargs={"chunk_id": chunk.id, "attempt": 1})
                            for chunk in first])
    return chunks


def mark_job_running(session: Session, job: Job) -> None:
    if job.status in (S.QUEUED, S.RETRYING):
        repo.transition_job(session, job=job, target=S.RUNNING, sources=[S.QUEUED, S.RETRYING],
                            attempts=Job.attempts + 1)


def advance_job(session: Session, job: Job, *, chunks: list[JobChunk] | None = None,
                taker: str | None = None, after: int | None = None,
                take: int = 1) -> list[JobChunk]:
    """After a chunk settled: queue more work, or close the job when every chunk is done.

    The caller holds the job's row lock (`repo.lock_job_of_chunk`), which serialises
    concurrent chunk ends. `chunks`: the job's chunks as the caller read them under that
    lock, the settled ones as their updates left them. `taker`: the worker that settled
    chunk number `after`, which takes up to `take` of the job's next chunks itself
    (returned, one stretch of pages) instead of task messages.
    """
    if job.status in TERMINAL:
        return []
    # One read serves every decision below.
    chunks = repo.chunks_of(session, job.id) if chunks is None else chunks
    completed = sum(c.status == S.COMPLETED for c in chunks)
    if completed + sum(c.status == S.FAILED for c in chunks) < job.total_chunks:
        _write_progress(session, job, chunks)
        taken = (_take_next(session, job, chunks, taker=taker, after=after, count=take)
                 if taker and after is not None else [])
        fill_parallel_slots(session, job, chunks)  # `taken` counts as in flight
        return taken
    _close_job(session, job, chunks, completed_chunks=completed)
    return []


def _write_progress(session: Session, job: Job, chunks: list[JobChunk]) -> None:
    """Move the job's progress, unless it was written less than PROGRESS_WRITE_INTERVAL
    ago (the job row is locked: `updated_at` is the last write's)."""
    percent = progress_percent(chunks)
    if percent <= job.progress_percent or utcnow() - job.updated_at < PROGRESS_WRITE_INTERVAL:
        return
    job.progress_percent = percent
    session.flush()  # the webhook's payload reads the job as it is now
    webhook_events.on_progress(session, job.id)


def _take_next(session: Session, job: Job, chunks: list[JobChunk], *, taker: str,
               after: int, count: int) -> list[JobChunk]:
    """Up to `count` of the job's untaken chunks, one stretch of pages, claimed for
    `taker`, which just settled chunk number `after`: pending ones if any (they have no
    task message yet), else queued ones (their messages will find them taken and be
    dropped); which of them, `_next_in_line` says. Never a retry."""
    if job.cancel_requested or job.status not in ACTIVE:
        return []
    # While another worker runs one of the job's chunks, never more than half of what is
    # free: near the job's end it may be done with its own and find nothing to take while
    # this one holds chunks not yet begun. Alone on the job, a worker takes full batches
    # to the end: halving there only added settles.
    if any(c.status == S.RUNNING and c.worker_id != taker for c in chunks):
        free = sum(_takeable(job, c, S.PENDING) or _takeable(job, c, S.QUEUED)
                   for c in chunks)
        count = min(count, max(1, free // 2))
    for status in (S.PENDING, S.QUEUED):
        # Under the job's lock the chunks read are as they are: every one picked is taken.
        taken: list[JobChunk] = []
        for chunk in _next_in_line(chunks, after=after,
                                   free=partial(_takeable, job, status=status)):
            if taken and chunk.index != taken[-1].index + 1:
                break
            taken.append(chunk)
            if len(taken) == count:
                break
        if taken:
            repo.take_chunks(session, chunks=taken, worker_id=taker,
                             task_ids=[chunk_task_id(job, chunk, 1) for chunk in taken])
            mark_job_running(session, job)  # a claim, like one by message
            return taken
    return []


def _takeable(job: Job, chunk: JobChunk, status: JobStatus) -> bool:
    # A queued retry keeps its backoff: only first attempts are taken early. A chunk that
    # names its own task is another task's work, not this worker's.
    return (chunk.status == status and chunk.attempts == 0
            and chunk_task_name(job, chunk).value == job.chunk_task)


def _next_in_line(chunks: Sequence[JobChunk], *, after: int,
                  free: Callable[[JobChunk], bool]) -> list[JobChunk]:
    """The `free` chunks in the order a worker that settled chunk number `after` should
    take them: the stretch it should go on with first, then the rest.

    Each chunk also reads a page on either side of its own (see pdf_chunking), which a
    worker has at hand when it read the neighbour itself. So: from the next chunk when it
    is free; else a run of free chunks, from its start when nobody is working towards
    it, from its middle when the chunk before it is running (that worker goes on into
    the first half). Two workers on one job then each walk a run of their own, and a
    page is read twice only where their runs meet, not at every chunk edge."""
    runs: list[list[JobChunk]] = []
    for chunk in sorted(chunks, key=lambda c: c.index):
        if not free(chunk):
            continue
        if runs and runs[-1][-1].index == chunk.index - 1:
            runs[-1].append(chunk)
        else:
            runs.append([chunk])
    if not runs:
        return []
    # Chunk `after` is not free, so a run holding the next chunk begins with it.
    following = next((run for run in runs if run[0].index == after + 1), None)
    if following is not None:
        run, start = following, 0
    else:
        run = max(runs, key=len)  # the first of the longest
        before = next((c for c in chunks if c.index == run[0].index - 1), None)
        start = len(run) // 2 if before is not None and before.status == S.RUNNING else 0
    rest = [chunk for other in runs if other is not run for chunk in other]
    return run[start:] + run[:start] + rest


def progress_percent(chunks: Sequence[ChunkFacts]) -> int:
    """Share of the job's units done, 0-99 while any chunk is unfinished (100 means done)."""
    total = sum(c.units_total for c in chunks) or 1
    done = sum(c.units_total if c.status in TERMINAL else c.units_done for c in chunks)
    return min(99, int(100 * done / total))


def _close_job(session: Session, job: Job, chunks: list[JobChunk], *,
               completed_chunks: int) -> None:
    summary = summarise_chunks(chunks)
    if completed_chunks == 0:
        first_error = next((c for c in chunks if c.error), None)
        fail_job(session, job=job,
                 error_type=(first_error.error_type if first_error else None)
                 or ErrorCode.PROCESSING_FAILED.name,
                 message=(first_error.error if first_error else None) or "every chunk failed",
                 retryable=False, result=summary)
        return
    if job.status == S.QUEUED:
        mark_job_running(session, job)
    completed = repo.transition_job(session, job=job, target=S.COMPLETED, sources=[S.RUNNING],
                                    finished_at=utcnow(), progress_percent=100, result=summary,
                                    metrics=summary["metrics"], current_step="Completed")
    if completed:
        _end_pages(session, job, cancelled=False)
    if completed and job.kind in SETTLED_ON_COMPLETION:
        finalize_job(session, job)


def summarise_chunks(chunks: Sequence[ChunkFacts]) -> dict[str, Any]:
    """The job's totals: its failed chunks, the units and items of its chunks, and their
    metrics (`merged_metrics`)."""
    used_units = sum(c.units_done for c in chunks if c.status == S.COMPLETED)
    return {"failed_chunks": failed_chunks(chunks), "completed_units": used_units,
            "item_count": sum((c.metrics or {}).get("items", 0) for c in chunks),
            "metrics": merged_metrics(chunks)}


def failed_chunks(chunks: Sequence[ChunkFacts]) -> list[dict[str, Any]]:
    """The chunks that failed, each with its error and its spec (its pages, say)."""
    return [{"chunk_index": c.index, "error_type": c.error_type, "error": c.error,
             **(c.spec or {})} for c in chunks if c.status == S.FAILED]


def merged_metrics(chunks: Sequence[ChunkFacts]) -> dict[str, Any]:
    """Numeric chunk metrics are summed; list metrics (a PDF chunk's pages read by OCR,
    say) are concatenated in chunk order, so a job reports per-unit notes without reading
    its chunks' result documents."""
    metrics: dict[str, Any] = {}
    for chunk in chunks:
        for key, value in (chunk.metrics or {}).items():
            if isinstance(value, int | float) and key != "items":
                metrics[key] = metrics.get(key, 0) + int(value)
            elif isinstance(value, list):
                metrics.setdefault(key, []).extend(value)  # a list of our own, never the chunk's
    return metrics


def fail_job(session: Session, *, job: Job, error_type: str, message: str, retryable: bool,
             result: dict[str, Any] | None = None) -> bool:
    """Fail an unfinished job and release its reservation, once."""
    if not repo.transition_job(session, job=job, target=S.FAILED, finished_at=utcnow(),
                               error=message, error_type=error_type, retryable=retryable,
                               result=result, current_step="Failed"):
        return False
    _stop_open_chunks(session, job, S.FAILED)
    _end_pages(session, job, cancelled=False)
    _release(session, job, reason="failed")
    return True


def cancel_job(session: Session, job: Job, *, reason: str = "cancelled by the user"
               ) -> list[str] | None:
    """Cancel a pending or running job; returns the task ids to revoke, None if not allowed."""
    if job.status not in CANCELLABLE:
        return None
    open_task_ids = [c.task_id for c in repo.chunks_of(session, job.id)
                     if c.status in ACTIVE and c.task_id]
    if not repo.transition_job(session, job=job, target=S.CANCELLED, cancel_requested=True,
                               finished_at=utcnow(), current_step="Cancelled", reason=reason):
        return None
    _stop_open_chunks(session, job, S.CANCELLED)
    _end_pages(session, job, cancelled=True)
    if job.kind in BILLED_FOR_PARTIAL_WORK:
        _charge_delivered(session, job)
    else:
        _release(session, job, reason="cancelled")
    return open_task_ids


def _end_pages(session: Session, job: Job, *, cancelled: bool) -> None:
    """A page job's pages end with it, whichever way it ends and whoever ends it."""
    if job.kind in PAGE_KINDS:
        pages_repo.end_job(session, job_id=job.id, cancelled=cancelled)


def _stop_open_chunks(session: Session, job: Job, target: JobStatus) -> None:
    for chunk in repo.chunks_of(session, job.id):
        if chunk.status not in TERMINAL:
            repo.transition_chunk(session, chunk=chunk, target=target,
                                  sources=[S.PENDING, *ACTIVE], finished_at=utcnow())


def _charge_delivered(session: Session, job: Job) -> None:
    """A cancelled job that kept part of its work (a crawl's images, a page task's pages
    read) pays for that part.

    Read after the chunks were stopped: a worker that counted one more unit committed
    before our update of its chunk, so the count is final. A chunk counts only the units
    it kept: a crawl chunk reports its images as it stores them; a page chunk reports 0
    until its page is stored with its completion, so a page in hand is not charged."""
    delivered = repo.units_done_of_job(session, job.id)
    charged = min(estimate_credits(job.kind, delivered), job.reserved_credits)
    if ledger.charge(session, user_id=job.user_id, job_id=job.id,
                     reserved=job.reserved_credits, used=charged):
        job.charged_credits = charged
        job.finalized_at = utcnow()
        repo.add_event(session, job_id=job.id, event_type="credit", movement="charge",
                       amount=charged, released=job.reserved_credits - charged,
                       reason="cancelled; charged for the units delivered")


def _release(session: Session, job: Job, *, reason: str) -> None:
    if ledger.release(session, user_id=job.user_id, job_id=job.id, amount=job.reserved_credits):
        repo.add_event(session, job_id=job.id, event_type="credit", movement="release",
                       amount=job.reserved_credits, reason=reason)


def finalize_job(session: Session, job: Job) -> bool:
    """Charge what a completed job used (never more than reserved) and release the rest.

    Used means the units of the chunks that completed, at the kind's price; a job with
    failed chunks is charged only for what it delivered.
    """
    used_units = (job.result or {}).get("completed_units", 0)
    charged = min(estimate_credits(job.kind, used_units), job.reserved_credits)
    if not ledger.charge(session, user_id=job.user_id, job_id=job.id,
                         reserved=job.reserved_credits, used=charged):
        return False
    job.charged_credits = charged
    job.finalized_at = utcnow()
    repo.add_event(session, job_id=job.id, event_type="credit", movement="charge",
                   amount=charged, released=job.reserved_credits - charged)
    return True
