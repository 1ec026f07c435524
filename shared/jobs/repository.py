"""All SQL on jobs, chunks and their events. Transitions are guarded updates.

A transition only touches a row whose status is an allowed source of the target (see
`shared.jobs.states`), so a duplicate delivery, a late worker or a race with cancel
changes nothing and reports False instead.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    String,
    Update,
    bindparam,
    case,
    event,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from shared.db import is_postgres, table_of, utcnow
from shared.jobs.models import Job, JobChunk, JobEvent, JobKind, JobStatus
from shared.jobs.states import ACTIVE, ALLOWED_SOURCES, TERMINAL
from shared.webhooks import events as webhook_events

_PENDING_EVENTS = "pending_job_events"
# Postgres NOTIFY channel: the transaction that ends a job sends the job's id on it, and
# the job service wakes the requests waiting for that job (services/jobs/jobs/signals.py).
FINISHED_CHANNEL = "conveyor_job_finished"
# ... and the transaction that logs a job's events sends its id on this one: event streams
# wake on it instead of polling.
EVENTS_CHANNEL = "conveyor_job_events"


def _rowcount(session: Session, statement: Update) -> int:
    """Run a guarded UPDATE and say how many rows it changed (0: the guard refused)."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def add_event(session: Session, *, job_id: int, event_type: str, chunk_index: int | None = None,
              from_status: str | None = None, to_status: str | None = None,
              **detail: Any) -> None:
    """Log an event, timed now; it is written at commit with the transaction's others."""
    _log_events(session, [{"job_id": job_id, "chunk_index": chunk_index,
                           "event_type": event_type, "from_status": from_status,
                           "to_status": to_status, "detail": detail, "created_at": utcnow()}])


def insert_job(session: Session, **values: Any) -> Job:
    """One INSERT ... RETURNING, without the unit of work's bookkeeping (hot path)."""
    return session.scalars(insert(Job).values(**values).returning(Job)).one()


def insert_events(session: Session, *, job_id: int, events: list[dict[str, Any]]) -> None:
    """Log several events of one job, timed now."""
    now = utcnow()
    _log_events(session, [{"job_id": job_id, "chunk_index": None, "from_status": None,
                           "to_status": None, "detail": {}, "created_at": now, **logged}
                          for logged in events])


def _log_events(session: Session, rows: list[dict[str, Any]]) -> None:
    session.info.setdefault(_PENDING_EVENTS, []).extend(rows)


@event.listens_for(Session, "before_commit")
def _write_logged_events(session: Session) -> None:
    # A transaction logs 2-4 events (claim, settle): one INSERT for all of them instead of
    # one flush each, in the order they were logged. Nothing reads a job's events in the
    # transaction that writes them.
    rows = session.info.pop(_PENDING_EVENTS, None)
    if rows:
        session.execute(_INSERT_EVENTS_NOTIFYING if is_postgres(session) else _INSERT_EVENTS,
                        rows)


# Built once, as the other statements of a chunk's claim and settle below: building and
# keying a statement cost a worker more than Postgres took to run it.
_INSERT_EVENTS = insert(table_of(JobEvent))
# The streams' wake-up rides on the INSERT (one statement, one round trip): a
# notification per row, which Postgres folds into one per job at commit.
_INSERT_EVENTS_NOTIFYING = _INSERT_EVENTS.returning(
    func.pg_notify(EVENTS_CHANNEL, sql_cast(table_of(JobEvent).c.job_id, String)))


@event.listens_for(Session, "after_rollback")
def _forget_logged_events(session: Session) -> None:
    session.info.pop(_PENDING_EVENTS, None)


def get_job(session: Session, job_id: int, *, for_update: bool = False) -> Job | None:
    """Load a job; with `for_update`, lock its row first.

    Lock order, everywhere: the job row before any of its chunk rows, so a worker settling
    a chunk and a user cancelling the job queue behind each other instead of deadlocking.
    FOR NO KEY UPDATE still lets other transactions insert events that reference the job.
    """
    query = select(Job).where(Job.id == job_id)
    if for_update:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def get_job_by_uuid(session: Session, job_uuid: str) -> Job | None:
    return session.scalars(select(Job).where(Job.uuid == job_uuid)).one_or_none()


def lock_job_of_chunk(session: Session, chunk_id: int) -> tuple[Job, JobChunk] | None:
    """Lock a chunk's job, then read the chunk fresh (see `get_job` for the order)."""
    job = lock_job_for_chunk(session, chunk_id)
    if job is None:
        return None
    chunk = session.get(JobChunk, chunk_id, populate_existing=True)
    assert chunk is not None
    return job, chunk


def lock_job_for_chunk(session: Session, chunk_id: int) -> Job | None:
    """Lock a chunk's job (see `get_job` for the order); the chunk itself is not read."""
    return session.scalars(_LOCK_JOB_OF_CHUNK, {"chunk_id": chunk_id}).one_or_none()


def _locking_job_of_chunk(*chunk_is: ColumnElement[bool]) -> Select[Job]:
    """SELECT ... FOR NO KEY UPDATE of the job of chunk `:chunk_id`, when the chunk is as
    `chunk_is` says (no row, and no lock, otherwise)."""
    chunk_job = select(JobChunk.job_id).where(JobChunk.id == bindparam("chunk_id"), *chunk_is)
    return (select(Job).where(Job.id == chunk_job.scalar_subquery())
            .with_for_update(key_share=True).execution_options(populate_existing=True))


_LOCK_JOB_OF_CHUNK = _locking_job_of_chunk()


def lock_job_to_claim(session: Session, *, chunk_id: int, attempt: int) -> Job | None:
    """Lock the job of a chunk that is queued for `attempt`; None, locking nothing, when
    it is not: a message whose chunk a worker went on with, or a duplicate, then costs
    one read instead of a row lock and a flushed commit, and never waits for that job's
    lock. The claim's UPDATE checks again, under the lock."""
    return session.scalars(_LOCK_JOB_TO_CLAIM, {"chunk_id": chunk_id,
                                                "attempts_before": attempt - 1}).one_or_none()


_LOCK_JOB_TO_CLAIM = _locking_job_of_chunk(JobChunk.status == JobStatus.QUEUED,
                                           JobChunk.attempts == bindparam("attempts_before"))


def find_by_idempotency_key(session: Session, *, user_id: int, key: str) -> Job | None:
    return session.scalars(
        select(Job).where(Job.user_id == user_id, Job.idempotency_key == key)).first()


def list_jobs(session: Session, *, user_id: int, status: Sequence[JobStatus] | None,
              kind: JobKind | None, limit: int, offset: int) -> tuple[list[Job], int]:
    query = select(Job).where(Job.user_id == user_id)
    if status:
        query = query.where(Job.status.in_(status))
    if kind:
        query = query.where(Job.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def transition_job(session: Session, *, job: Job, target: JobStatus,
                   sources: Iterable[JobStatus] | None = None, reason: str | None = None,
                   **values: Any) -> bool:
    """Move `job` to `target` if its current status allows it; log the change."""
    allowed = ALLOWED_SOURCES[target] & frozenset(sources or ALLOWED_SOURCES[target])
    before = job.status
    # RETURNING refreshes `job` in the same round trip (populate_existing).
    updated = session.scalars(update(Job).where(Job.id == job.id, Job.status.in_(allowed))
                              .values(status=target, updated_at=utcnow(), **values)
                              .returning(Job),
                              execution_options={"synchronize_session": False,
                                                 "populate_existing": True}).first()
    if updated is None:
        return False
    if target in TERMINAL and is_postgres(session):
        session.execute(select(func.pg_notify(FINISHED_CHANNEL, str(job.id))))
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    add_event(session, job_id=job.id, event_type="status", from_status=before.value,
              to_status=target.value, **extra)
    webhook_events.on_transition(session, job)  # its deliveries commit with the change
    return True


def chunks_of(session: Session, job_id: int, *, with_results: bool = False) -> list[JobChunk]:
    """A job's chunks in order; their result documents (large) only when asked for."""
    query = _CHUNKS_OF_JOB if with_results else _CHUNKS_OF_JOB_WITHOUT_RESULTS
    return list(session.scalars(query, {"job_id": job_id}))


_CHUNKS_OF_JOB = (select(JobChunk).where(JobChunk.job_id == bindparam("job_id"))
                  .order_by(JobChunk.index))
_CHUNKS_OF_JOB_WITHOUT_RESULTS = _CHUNKS_OF_JOB.options(defer(JobChunk.result))


def validation_runs_of(session: Session, *, user_id: int, crawl_job_id: int) -> list[Job]:
    """The validation jobs run on a crawl job's images, oldest first."""
    return list(session.scalars(
        select(Job).where(Job.kind == JobKind.VALIDATION, Job.user_id == user_id,
                          Job.params["crawl_job_id"].as_integer() == crawl_job_id)
        .order_by(Job.id)))


def units_done_of_job(session: Session, job_id: int) -> int:
    """The units every chunk of the job reported done, read from the table (not the
    session's cached rows)."""
    return int(session.scalar(select(func.coalesce(func.sum(JobChunk.units_done), 0))
                              .where(JobChunk.job_id == job_id)) or 0)


def transition_chunk(session: Session, *, chunk: JobChunk, target: JobStatus,
                     sources: Iterable[JobStatus], attempt: int | None = None,
                     **values: Any) -> bool:
    """Guarded chunk update; with `attempt`, only the worker of that attempt may write.
    `values`: plain values, no SQL expressions.

    `chunk` takes the written values as its loaded state. It was read in this
    transaction under its job's lock, which every status change of a chunk holds, so the
    row it updated differs from it by those values only."""
    statement = _chunk_update(frozenset(sources), attempt is not None, tuple(values))
    params = {f"new_{name}": value for name, value in values.items()}
    updated = session.execute(statement, {"chunk_id": chunk.id, "attempt": attempt,
                                          "new_status": target, **params})
    if not cast(CursorResult[Any], updated).rowcount:
        return False
    _as_written(chunk, target, values)
    return True


def _as_written(chunk: JobChunk, target: JobStatus, values: dict[str, Any]) -> None:
    """`chunk` takes the values its row was just updated with as its loaded state."""
    for name, value in (("status", target), *values.items()):
        set_committed_value(chunk, name, value)


def transition_chunks(session: Session, *, target: JobStatus, sources: Iterable[JobStatus],
                      updates: Sequence[tuple[JobChunk, int, dict[str, Any]]]) -> None:
    """`transition_chunk` for several chunks of a job whose row the caller has locked, in
    one round trip: (chunk, its attempt, plain values, the same columns for each). The
    caller checked that each row is as `chunk` says; one that is not raises
    StaleChunks, and the caller's transaction must be rolled back."""
    if not updates:
        return
    columns = tuple(updates[0][2])
    statement = _chunk_update(frozenset(sources), True, columns)
    updated = session.execute(statement, [
        {"chunk_id": chunk.id, "attempt": attempt, "new_status": target,
         **{f"new_{name}": value for name, value in values.items()}}
        for chunk, attempt, values in updates])
    if cast(CursorResult[Any], updated).rowcount != len(updates):
        raise StaleChunks(f"{len(updates)} chunk updates found "
                          f"{cast(CursorResult[Any], updated).rowcount} rows")
    for chunk, _, values in updates:
        _as_written(chunk, target, values)


class StaleChunks(RuntimeError):
    """A chunk row was not as read under its job's lock."""


@lru_cache(maxsize=64)
def _chunk_update(sources: frozenset[JobStatus], guard_attempt: bool,
                  columns: tuple[str, ...]) -> Update:
    """The guarded UPDATE of `transition_chunk` for one set of sources and columns, built
    once: building and keying an ORM UPDATE ... RETURNING cost the worker's settle more
    than Postgres took to run it (bench/chunk_cost.py)."""
    chunks = table_of(JobChunk)
    # One source as `=`: an IN list's expanding parameter rules out executemany.
    status_is = (chunks.c.status == next(iter(sources)) if len(sources) == 1
                 else chunks.c.status.in_(sorted(sources)))
    statement = update(chunks).where(chunks.c.id == bindparam("chunk_id"), status_is)
    if guard_attempt:
        statement = statement.where(chunks.c.attempts == bindparam("attempt"))
    return statement.values(status=bindparam("new_status"),
                            **{name: bindparam(f"new_{name}") for name in columns})


def claim_chunk(session: Session, *, chunk_id: int, attempt: int,
                worker_id: str) -> JobChunk | None:
    """Take a queued chunk for `attempt`; None for duplicates, stale attempts or cancelled jobs."""
    now = utcnow()
    not_cancelled = select(Job.id).where(Job.id == JobChunk.job_id,
                                         Job.cancel_requested.is_(False))
    chunk = session.scalars(
        update(JobChunk)
        .where(JobChunk.id == chunk_id, JobChunk.status == JobStatus.QUEUED,
               JobChunk.attempts == attempt - 1, not_cancelled.exists())
        .values(status=JobStatus.RUNNING, attempts=attempt, started_at=now, heartbeat_at=now,
                worker_id=worker_id)
        .returning(JobChunk),
        execution_options={"synchronize_session": False, "populate_existing": True}).first()
    if chunk is None:
        return None
    add_event(session, job_id=chunk.job_id, chunk_index=chunk.index, event_type="attempt",
              from_status="queued", to_status="running", attempt=attempt, worker=worker_id)
    return chunk


def take_chunks(session: Session, *, chunks: Sequence[JobChunk], worker_id: str,
                task_ids: Sequence[str]) -> None:
    """Claim chunks of one status (pending or queued) of a job whose row the caller has
    locked, for their next attempts, without task messages, in one round trip: the worker
    that just settled one of the job's chunks goes on with them. A message already
    published for such an attempt finds the chunk running and is dropped, as any duplicate
    is. `task_ids`: each attempt's, as its message would have had it (a queued chunk keeps
    the one it has). Raises StaleChunks when a row was not as read (see
    `transition_chunks`)."""
    if not chunks:
        return
    (source,) = {chunk.status for chunk in chunks}
    now = utcnow()
    transition_chunks(session, target=JobStatus.RUNNING, sources=[source], updates=[
        (chunk, chunk.attempts,
         {"attempts": chunk.attempts + 1, "queued_at": now, "started_at": now,
          "heartbeat_at": now, "worker_id": worker_id, "units_done": 0,
          "task_id": chunk.task_id or task_id})
        for chunk, task_id in zip(chunks, task_ids, strict=True)])
    _log_events(session, [{"job_id": chunk.job_id, "chunk_index": chunk.index,
                           "event_type": "attempt", "from_status": source.value,
                           "to_status": "running", "created_at": now,
                           "detail": {"attempt": chunk.attempts, "worker": worker_id,
                                      "handed_over": True}}
                          for chunk in chunks])


def touch_heartbeat(session: Session, *, chunk_id: int, attempt: int, units_done: int,
                    held: Sequence[tuple[int, int]] = ()) -> bool:
    """Record liveness and progress; False when the chunk is no longer this attempt's.
    `held`: (chunk id, attempt) of the other chunks the worker holds (taken ahead, or done
    and not yet settled), which are alive as long as it is.

    Touches only chunk rows (never the job's), so it cannot deadlock with a cancel.
    """
    now = utcnow()
    alive = bool(_rowcount(session, update(JobChunk)
                           .where(JobChunk.id == chunk_id, JobChunk.status == JobStatus.RUNNING,
                                  JobChunk.attempts == attempt)
                           .values(heartbeat_at=now, units_done=units_done)))
    if alive and held:
        _rowcount(session, update(JobChunk)
                  .where(JobChunk.status == JobStatus.RUNNING,
                         tuple_(JobChunk.id, JobChunk.attempts).in_(list(held)))
                  .values(heartbeat_at=now))
    return alive


def record_steps(session: Session, *, job_id: int, chunk_index: int,
                 steps: Sequence[tuple[str, int, datetime]], **detail: Any) -> bool:
    """Show a running job's latest step (progress never moves back) and log each of
    `steps` (code, percent, when it began) as a `step` event. False, and nothing written,
    once the job was cancelled or has ended."""
    last_step = steps[-1][0]
    percent = max(step_percent for _, step_percent, _ in steps)
    moved = _rowcount(session, update(Job)
                      .where(Job.id == job_id, Job.status.in_(ACTIVE),
                             Job.cancel_requested.is_(False))
                      .values(current_step=last_step, updated_at=utcnow(),
                              progress_percent=case((Job.progress_percent < percent, percent),
                                                    else_=Job.progress_percent)))
    if moved:
        _log_events(session, [
            {"job_id": job_id, "chunk_index": chunk_index, "event_type": "step",
             "from_status": None, "to_status": None, "created_at": began,
             "detail": {"step": code, "progress": step_percent, **detail}}
            for code, step_percent, began in steps])
        webhook_events.on_progress(session, job_id)
    return bool(moved)


def is_cancel_requested(session: Session, job_id: int) -> bool:
    return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def stale_running_chunk_ids(session: Session, *, heartbeat_before: datetime) -> list[int]:
    return list(session.scalars(select(JobChunk.id).where(
        JobChunk.status == JobStatus.RUNNING, JobChunk.heartbeat_at < heartbeat_before)))


def stale_queued_chunk_ids(session: Session, *, queued_before: datetime) -> list[int]:
    return list(session.scalars(select(JobChunk.id).where(
        JobChunk.status == JobStatus.QUEUED, JobChunk.queued_at < queued_before)))


def overdue_job_ids(session: Session, *, now: datetime) -> list[int]:
    return list(session.scalars(select(Job.id).where(
        Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING]),
        Job.deadline_at < now)))


def expired_pending_job_ids(session: Session, *, created_before: datetime) -> list[int]:
    return list(session.scalars(select(Job.id).where(
        Job.status == JobStatus.PENDING, Job.created_at < created_before)))


def unsettled_completed_job_ids(session: Session, *, finished_before: datetime) -> list[int]:
    return list(session.scalars(select(Job.id).where(
        Job.status == JobStatus.COMPLETED, Job.finalized_at.is_(None),
        Job.finished_at < finished_before)))


def input_paths_in_use(session: Session) -> set[str]:
    """Stored inputs of jobs that are not finished yet (cleanup must keep them)."""
    paths = session.scalars(select(Job.input_path).where(Job.status.not_in(
        [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED])))
    return {path for path in paths if path}


def events_of(session: Session, *, job_id: int, limit: int, offset: int,
              after_id: int = 0) -> list[JobEvent]:
    """The job's events after `after_id`, oldest first (a stream resumes from its last)."""
    return list(session.scalars(
        select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.id > after_id)
        .order_by(JobEvent.id).limit(limit).offset(offset)))


def events_of_user(session: Session, *, user_id: int, after_id: int, up_to: int,
                   kinds: Sequence[JobKind], event_types: Sequence[str],
                   limit: int) -> list[tuple[JobEvent, Job]]:
    """The user's job events after `after_id` up to `up_to`, oldest first (a feed clients
    can resume)."""
    query = (select(JobEvent, Job).join(Job, Job.id == JobEvent.job_id)
             .where(Job.user_id == user_id, JobEvent.id > after_id, JobEvent.id <= up_to,
                    JobEvent.event_type.in_(event_types))
             .order_by(JobEvent.id).limit(limit))
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    return [(event, job) for event, job in session.execute(query)]


_SETTLE_SCAN = 5000


def settled_event_id(session: Session, *, after_id: int, young_since: datetime) -> int:
    """The highest event id through which no id can still appear: a feed that read past
    it could miss an event whose transaction commits later than a newer one's.

    Ids are handed out at insert and become visible at commit, in whatever order
    transactions commit. A gap in the ids is an insert not yet committed while another
    transaction is writing events (their INSERT runs as they commit, so for milliseconds);
    otherwise it is a rolled-back insert and never fills. A gap whose next event was logged
    before `young_since` is passed in any case, so a rollback is never waited on for long
    by a feed that always sees some writer at work."""
    rows = session.execute(
        select(JobEvent.id, JobEvent.created_at >= young_since)
        .where(JobEvent.id > after_id).order_by(JobEvent.id).limit(_SETTLE_SCAN))
    settled = after_id
    for event_id, young in rows:
        if event_id != settled + 1 and young and _events_being_written(session):
            break
        settled = event_id
    return settled


def _events_being_written(session: Session) -> bool:
    """Whether another transaction holds an insert into job_event it has not committed."""
    if not is_postgres(session):
        return False  # SQLite writes one transaction at a time: ids commit in order
    return bool(session.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = to_regclass(:table) "
        "AND mode = 'RowExclusiveLock' AND granted AND pid <> pg_backend_pid())"),
        {"table": JobEvent.__tablename__}))


def last_event_id(session: Session) -> int:
    return session.scalar(select(func.max(JobEvent.id))) or 0
