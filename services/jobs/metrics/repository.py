"""The SQL behind the job service's metrics: one aggregate query each.

Queued and running chunks and the outbox backlog use the status and unsent-message
indexes, so they stay cheap however much history there is. The job and ledger totals and
the duration histogram scan their tables: one pass each, aggregated in the database.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from shared.credits.models import CreditLedgerEntry, LedgerEntryType
from shared.db import is_postgres
from shared.jobs.models import Job, JobChunk, JobStatus, OutboxMessage


@dataclass(frozen=True, kw_only=True)
class JobCount:
    kind: str
    status: str
    count: int


@dataclass(frozen=True, kw_only=True)
class ChunkLoad:
    """Chunks in one status (queued or running) of the jobs of one chunk task."""

    chunk_task: str | None
    status: str
    count: int
    oldest_queued_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class DurationBuckets:
    """Finished jobs of one kind: how many took at most each bound, their count and sum."""

    kind: str
    at_most: list[int]
    count: int
    total_seconds: float


@dataclass(frozen=True, kw_only=True)
class OutboxBacklog:
    unsent: int
    oldest_created_at: datetime | None


def job_counts(session: Session) -> list[JobCount]:
    rows = session.execute(select(Job.kind, Job.status, func.count())
                           .group_by(Job.kind, Job.status))
    return [JobCount(kind=kind.value, status=status.value, count=count)
            for kind, status, count in rows]


def live_chunk_loads(session: Session) -> list[ChunkLoad]:
    """Queued and running chunks, by their job's chunk task (which names the queue)."""
    rows = session.execute(
        select(Job.chunk_task, JobChunk.status, func.count(), func.min(JobChunk.queued_at))
        .join(Job, Job.id == JobChunk.job_id)
        .where(JobChunk.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .group_by(Job.chunk_task, JobChunk.status))
    return [ChunkLoad(chunk_task=task, status=status.value, count=count,
                      oldest_queued_at=oldest)
            for task, status, count, oldest in rows]


def job_durations(session: Session, *, bounds: Sequence[float]) -> list[DurationBuckets]:
    """Start-to-end seconds of the jobs that ran and ended, bucketed per kind."""
    seconds = _run_seconds(postgres=is_postgres(session))
    per_bound = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds]
    rows = session.execute(
        select(Job.kind, func.count(), func.sum(seconds), *per_bound)
        .where(Job.started_at.is_not(None), Job.finished_at.is_not(None))
        .group_by(Job.kind))
    return [DurationBuckets(kind=kind.value, count=count, total_seconds=float(total or 0),
                            at_most=[int(n or 0) for n in at_most])
            for kind, count, total, *at_most in rows]


def ledger_totals(session: Session) -> dict[LedgerEntryType, int]:
    """Credits ever reserved, charged and released, from the append-only ledger."""
    kinds = [LedgerEntryType.RESERVE, LedgerEntryType.CHARGE, LedgerEntryType.RELEASE]
    rows = session.execute(
        select(CreditLedgerEntry.entry_type, func.sum(CreditLedgerEntry.amount))
        .where(CreditLedgerEntry.entry_type.in_(kinds))
        .group_by(CreditLedgerEntry.entry_type))
    totals = dict.fromkeys(kinds, 0)
    totals.update({entry_type: int(total or 0) for entry_type, total in rows})
    return totals


def outbox_backlog(session: Session) -> OutboxBacklog:
    unsent, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.sent_at.is_(None))).one()
    return OutboxBacklog(unsent=unsent, oldest_created_at=oldest)


def _run_seconds(*, postgres: bool) -> ColumnElement[Any]:
    """A job's seconds from start to end, in SQL."""
    if postgres:
        return func.extract("epoch", Job.finished_at - Job.started_at)
    # The embedded default: SQLite keeps timestamps as text; julianday counts days.
    return (func.julianday(Job.finished_at) - func.julianday(Job.started_at)) * 86400.0
