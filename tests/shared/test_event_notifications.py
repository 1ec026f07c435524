"""A transaction that logs a job's events wakes the job service's event streams at
commit: one notification per job on the events channel, none after a rollback. On the
real Postgres."""

import uuid

import psycopg
import pytest

from shared.auth.accounts import create_user
from shared.db import session_scope
from shared.jobs import repository as repo
from shared.jobs.models import Job, JobKind


def _two_jobs() -> tuple[int, int]:
    with session_scope() as session:
        user = create_user(session, email=f"notify-{uuid.uuid4().hex[:8]}@example.com",
                           password="long enough pw", signup_credits=1)
        jobs = [Job(user_id=user.id, kind=JobKind.PDF) for _ in range(2)]
        session.add_all(jobs)
        session.flush()
        return jobs[0].id, jobs[1].id


@pytest.fixture
def listener(database: str):
    connection = psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://"),
                                 autocommit=True)
    connection.execute(f"LISTEN {repo.EVENTS_CHANNEL}")
    yield connection
    connection.close()


def _payloads(listener: psycopg.Connection, *job_ids: int) -> list[str]:
    """The notifications about `job_ids` within a second. The channel is the database's:
    other tests' jobs notify on it too, so only these jobs' count."""
    ours = {str(job_id) for job_id in job_ids}
    return [n.payload for n in listener.notifies(timeout=1.0)
            if n.channel == repo.EVENTS_CHANNEL and n.payload in ours]


def test_one_notification_per_job_whose_events_commit(listener):
    first, second = _two_jobs()
    _payloads(listener, first, second)  # nothing from the setup is pending

    with session_scope() as session:
        for event_type in ("status", "chunk", "attempt"):
            repo.add_event(session, job_id=first, event_type=event_type)
        repo.add_event(session, job_id=second, event_type="status")

    assert sorted(_payloads(listener, first, second)) == sorted([str(first), str(second)])


def test_no_notification_when_the_transaction_rolls_back(listener):
    first, _ = _two_jobs()
    _payloads(listener, first)

    with pytest.raises(RuntimeError), session_scope() as session:
        repo.add_event(session, job_id=first, event_type="status")
        session.flush()
        raise RuntimeError("the transaction fails")

    assert _payloads(listener, first) == []
