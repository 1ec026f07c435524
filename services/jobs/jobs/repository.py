"""The job service's reads for a job's view: plain rows of the columns the view uses.

A status poll reads a job and its chunks many times a second. Loading them as `Job` and
`JobChunk` instances (every column, ORM bookkeeping per row) cost most of a poll; here
the view's columns come back as values. Writes and locking reads stay in
`shared.jobs.repository`.
"""

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, bindparam, case, func, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from shared.db import table_of
from shared.jobs.models import Job, JobChunk, JobKind, JobStatus
from shared.jobs.states import ACTIVE, TERMINAL


class JobRecord(NamedTuple):
    """A job's row as its view reads it."""

    id: int
    uuid: str
    user_id: int
    kind: JobKind
    status: JobStatus
    cancel_requested: bool
    original_filename: str | None
    input_path: str | None
    input_sha256: str | None
    page_count: int | None
    params: dict[str, Any]
    progress_percent: int
    current_step: str | None
    total_chunks: int
    error: str | None
    error_type: str | None
    retryable: bool | None
    celery_task_id: str | None
    attempts: int
    estimated_credits: int
    reserved_credits: int
    charged_credits: int | None
    finalized_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    result: dict[str, Any] | None
    metrics: dict[str, Any]


class ChunkTally(NamedTuple):
    """What a job's view reads of one chunk; its documents only where the view uses them."""

    index: int  # type: ignore[assignment]  # named as JobChunk's column; shadows tuple.index
    status: JobStatus
    units_done: int
    units_total: int
    task_id: str | None
    error_type: str | None
    error: str | None
    spec: dict[str, Any] | None  # a failed chunk's only: the view lists it with its spec
    metrics: dict[str, Any] | None  # while the job is active only: then they are summed
    result: dict[str, Any] | None  # an ended job's, when its result items are asked for


JobWithChunks = tuple[JobRecord, list[ChunkTally]]


def job_with_chunks(db: Connection, *, job_id: int, user_id: int,
                    with_results: bool = False) -> JobWithChunks | None:
    """The user's job and its chunks in order (None for another user's job, as for none);
    with `with_results`, an ended job's chunks' result documents."""
    return _read(db, "id", job_id, user_id=user_id, with_results=with_results)


def job_with_chunks_by_uuid(db: Connection, *, job_uuid: str, user_id: int,
                            with_results: bool = False) -> JobWithChunks | None:
    """`job_with_chunks`, found by the job's public uuid."""
    return _read(db, "uuid", job_uuid, user_id=user_id, with_results=with_results)


def chunk_tallies(session: Session, job_id: int, *, with_metrics: bool = False,
                  with_results: bool = False) -> list[ChunkTally]:
    """A job's chunks in order, read in the session's transaction (a job it changes);
    their metrics and result documents when asked for."""
    session.flush()  # a Core statement skips the ORM's autoflush: changes pending are read
    return _tallies(session, job_id, with_metrics=with_metrics, with_results=with_results)


def _read(db: Connection, key: str, value: int | str, *, user_id: int,
          with_results: bool) -> JobWithChunks | None:
    """On Postgres one statement: one round trip, and the chunks as of the job's row.
    SQLite (embedded) has no ordered JSON aggregate: the job, then its chunks."""
    if db.dialect.name != "postgresql":
        return _job_then_chunks(db, key, value, user_id=user_id, with_results=with_results)
    row = db.execute(_job_with_chunks_query(key, with_results=with_results),
                     {"key": value, "user_id": user_id}).first()
    if row is None:
        return None
    *job, chunks = row
    return JobRecord(*job), [_tally(*chunk) for chunk in chunks or []]


def _tally(index: int, status: str, *rest: Any) -> ChunkTally:
    """A chunk from its JSON array (`_chunk_array`): the status comes as its value."""
    return ChunkTally(index, JobStatus(status), *rest)


def _job_then_chunks(db: Connection, key: str, value: int | str, *, user_id: int,
                     with_results: bool) -> JobWithChunks | None:
    row = db.execute(_job_query(key), {"key": value, "user_id": user_id}).first()
    if row is None:
        return None
    job = JobRecord(*row)
    chunks = _tallies(db, job.id, with_metrics=job.status in ACTIVE,
                      with_results=with_results and job.status in TERMINAL)
    return job, chunks


def _tallies(db: Connection | Session, job_id: int, *, with_metrics: bool,
             with_results: bool) -> list[ChunkTally]:
    query = _chunk_tallies_query(with_metrics=with_metrics, with_results=with_results)
    return [ChunkTally(*row) for row in db.execute(query, {"job_id": job_id})]


# The statements are built once per variant, so their cache keys are too.

@cache
def _job_query(key: str) -> Select[Any]:
    """Parameters: key (the value of the `key` column), user_id."""
    jobs = table_of(Job)
    return (select(*(jobs.c[name] for name in JobRecord._fields))
            .where(jobs.c[key] == bindparam("key"), jobs.c.user_id == bindparam("user_id")))


@cache
def _job_with_chunks_query(key: str, *, with_results: bool) -> Select[Any]:
    """`_job_query` plus a last column: the job's chunks as one JSON array of
    `_chunk_array`s in chunk order (NULL without chunks)."""
    jobs, chunks = table_of(Job), table_of(JobChunk)
    arrays = (select(func.json_agg(aggregate_order_by(_chunk_array(jobs, with_results),
                                                      chunks.c.index)))
              .where(chunks.c.job_id == jobs.c.id).scalar_subquery())
    return _job_query(key).add_columns(arrays)


def _chunk_array(jobs: Any, with_results: bool) -> ColumnElement[Any]:
    """A chunk as a JSON array, in ChunkTally's order; metrics and result as the view
    wants them for the job's status."""
    chunks = table_of(JobChunk)
    results: ColumnElement[Any] = (case((jobs.c.status.in_(sorted(TERMINAL)), chunks.c.result))
                                   if with_results else null())
    return func.json_build_array(
        chunks.c.index, chunks.c.status, chunks.c.units_done, chunks.c.units_total,
        chunks.c.task_id, chunks.c.error_type, chunks.c.error,
        case((chunks.c.status == JobStatus.FAILED, chunks.c.spec)),
        case((jobs.c.status.in_(sorted(ACTIVE)), chunks.c.metrics)), results)


@cache
def _chunk_tallies_query(*, with_metrics: bool, with_results: bool) -> Select[Any]:
    """Parameter: job_id."""
    chunks = table_of(JobChunk)
    left_out: ColumnElement[Any] = null()
    return (select(chunks.c.index, chunks.c.status, chunks.c.units_done, chunks.c.units_total,
                   chunks.c.task_id, chunks.c.error_type, chunks.c.error,
                   case((chunks.c.status == JobStatus.FAILED, chunks.c.spec)),
                   chunks.c.metrics if with_metrics else left_out,
                   chunks.c.result if with_results else left_out)
            .where(chunks.c.job_id == bindparam("job_id")).order_by(chunks.c.index))
