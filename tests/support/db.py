"""Direct reads of the test database, for what the API deliberately does not show."""

from sqlalchemy import select

from shared.credits.models import CreditLedgerEntry
from shared.db import session_scope
from shared.jobs.models import JobChunk


def chunks(job_id: int) -> list[JobChunk]:
    with session_scope() as session:
        return list(session.scalars(
            select(JobChunk).where(JobChunk.job_id == job_id).order_by(JobChunk.index)))


def ledger_for_job(job_id: int) -> list[tuple[str, int]]:
    with session_scope() as session:
        rows = session.scalars(select(CreditLedgerEntry).where(CreditLedgerEntry.job_id == job_id)
                               .order_by(CreditLedgerEntry.id))
        return [(row.entry_type.value, row.amount) for row in rows]
