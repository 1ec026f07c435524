"""Redis goes down between the commit and the publish: the job still completes once it
is back. Runs its own redis-server on another port; the machine's Redis is never touched."""

import time

import pytest
from sqlalchemy import select

from shared.credits.models import CreditLedgerEntry
from shared.jobs.models import JobChunk, OutboxMessage
from tests.support.api import confirm_pdf, register_and_login, start_pdf, wait_for_status
from tests.support.own_redis import stack_on_own_redis
from tests.support.pdfs import make_document


@pytest.fixture
def outage_stack(database, tmp_path):
    with stack_on_own_redis(tmp_path, name="outage") as stack:
        yield stack


def _unsent(sessions, job_task_prefix: str) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.task_id.startswith(job_task_prefix), OutboxMessage.sent_at.is_(None))))


def _chunk_attempts(sessions, job_id: int) -> list[int]:
    with sessions() as session:
        return list(session.scalars(select(JobChunk.attempts).where(JobChunk.job_id == job_id)))


def _ledger(sessions, job_id: int) -> list[tuple[str, int]]:
    with sessions() as session:
        rows = session.scalars(select(CreditLedgerEntry).where(CreditLedgerEntry.job_id == job_id)
                               .order_by(CreditLedgerEntry.id))
        return [(row.entry_type.value, row.amount) for row in rows]


def _wait_for_failed_publish(sessions, prefix: str, timeout: float = 30) -> list[OutboxMessage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        unsent = _unsent(sessions, prefix)
        if unsent and unsent[0].publish_attempts >= 1:
            return unsent
        time.sleep(0.2)
    raise AssertionError("the publish failure was never recorded")


def test_job_started_while_redis_is_down_completes_once_it_is_back(outage_stack):
    import httpx

    stack, own, sessions = outage_stack
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as api:
        user = register_and_login(api)
        pdf, sentences = make_document(6)
        job_id = confirm_pdf(api, user, pdf).json()["job_id"]

        own.stop()
        started = start_pdf(api, user, job_id, pdf)
        assert started.status_code == 202, started.text  # committed; publish deferred
        unsent = _wait_for_failed_publish(sessions, f"job_{job_id}_")
        assert len(unsent) == 1 and "connect" in unsent[0].last_error.lower()
        job = api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()
        assert job["status"] == "pending"

        own.start()
        done = wait_for_status(api, user, job_id, statuses={"completed", "failed"}, timeout=90)
        assert done["status"] == "completed", done
        result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers).json()
        assert result["sentences"] == sentences
        assert _chunk_attempts(sessions, job_id) == [1]
        assert _unsent(sessions, f"job_{job_id}_") == []
        assert _ledger(sessions, job_id) == [("reserve", 6)]
