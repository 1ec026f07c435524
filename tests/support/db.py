"""Direct reads of the test database, for what the API deliberately does not show, and
the reaper's view of chunks gone quiet."""

import time
from datetime import timedelta

from sqlalchemy import func, select, update

from shared.celery_app import TaskName
from shared.credits.models import CreditLedgerEntry
from shared.db import session_scope, utcnow
from shared.jobs.models import JobChunk, OutboxMessage
from shared.jobs.reaper import ReapReport, reap_stale_jobs
from shared.jobs.repository import get_job_by_uuid
from shared.pages.models import Page
from shared.receipts.models import Receipt
from shared.receipts.repository import receipt_of_job
from shared.settings import get_settings


def chunks(job_id: int) -> list[JobChunk]:
    with session_scope() as session:
        return list(session.scalars(
            select(JobChunk).where(JobChunk.job_id == job_id).order_by(JobChunk.index)))


def outbox_messages_for(chunk_ids: list[int],
                        task: TaskName = TaskName.PDF_PROCESS_CHUNK) -> int:
    """Task messages of `task` for these chunks waiting in the outbox."""
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.task_name == task.value,
            OutboxMessage.kwargs["chunk_id"].as_integer().in_(chunk_ids))) or 0


def ledger_for_job(job_id: int) -> list[tuple[str, int]]:
    with session_scope() as session:
        rows = session.scalars(select(CreditLedgerEntry).where(CreditLedgerEntry.job_id == job_id)
                               .order_by(CreditLedgerEntry.id))
        return [(row.entry_type.value, row.amount) for row in rows]


def job_id_of(job_uuid: str) -> int:
    with session_scope() as session:
        job = get_job_by_uuid(session, job_uuid)
        assert job is not None, job_uuid
        return job.id


def receipt_of(job_id: int) -> Receipt | None:
    with session_scope() as session:
        return receipt_of_job(session, job_id)


def page_source_path(page_id: int) -> str:
    """Where a page's scan is stored (relative to DATA_DIR)."""
    with session_scope() as session:
        page = session.get(Page, page_id)
        assert page is not None, page_id
        return page.source_path


def quiet_heartbeats(chunk_ids: list[int]) -> None:
    """Make the chunks' last heartbeat older than this process's reaper timeout, and only
    just: with the `own_reaper` fixture, the session beat's reaper leaves them alone."""
    quiet = utcnow() - timedelta(seconds=get_settings().heartbeat_timeout_seconds + 1)
    with session_scope() as session:
        session.execute(update(JobChunk).where(JobChunk.id.in_(chunk_ids))
                        .values(heartbeat_at=quiet))


def reap_once() -> ReapReport:
    """One reaper pass; the session's beat may hold the reaper's lock for a moment."""
    for _ in range(50):
        report = reap_stale_jobs()
        if not report.skipped_locked:
            return report
        time.sleep(0.05)
    raise AssertionError("the reaper lock was never free")
