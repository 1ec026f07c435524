"""Direct reads of the test database, for what the API deliberately does not show."""

from sqlalchemy import select

from shared.credits.models import CreditLedgerEntry
from shared.db import session_scope
from shared.jobs.models import JobChunk
from shared.jobs.repository import get_job_by_uuid
from shared.pages.models import Page
from shared.receipts.models import Receipt
from shared.receipts.repository import receipt_of_job


def chunks(job_id: int) -> list[JobChunk]:
    with session_scope() as session:
        return list(session.scalars(
            select(JobChunk).where(JobChunk.job_id == job_id).order_by(JobChunk.index)))


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
