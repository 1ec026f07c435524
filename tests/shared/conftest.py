"""Fixtures of the tests that use the shared package directly against the test database."""

import uuid
from collections.abc import Callable

import pytest

from shared.auth.accounts import create_user
from shared.credits import ledger
from shared.db import session_scope
from shared.jobs import outbox
from shared.jobs.models import Job, JobChunk, JobKind, JobStatus
from shared.settings import get_settings


@pytest.fixture
def make_user(database: str) -> Callable[[int], int]:
    def make(credits: int) -> int:
        with session_scope() as session:
            user = create_user(session, email=f"ledger-{uuid.uuid4().hex[:10]}@example.com",
                               password="correct horse battery", signup_credits=credits)
            return user.id

    return make


@pytest.fixture
def queued_job(database: str) -> Callable[..., tuple[int, list[int]]]:
    """A job with queued chunks and no task messages, so only these tests run them.
    `queued`: only the first that many are queued (the job's parallelism), the rest
    pending, as a started job's are."""

    def make(chunk_count: int, *, queued: int | None = None) -> tuple[int, list[int]]:
        in_flight = chunk_count if queued is None else queued
        with session_scope() as session:
            user = create_user(session, email=f"runner-{uuid.uuid4().hex[:8]}@example.com",
                               password="long enough pw", signup_credits=100)
            job = Job(user_id=user.id, kind=JobKind.PDF, status=JobStatus.QUEUED,
                      estimated_credits=chunk_count, reserved_credits=chunk_count,
                      total_chunks=chunk_count, parallelism=in_flight,
                      celery_task_id=f"job_test_{uuid.uuid4().hex[:6]}",
                      chunk_task="pdf.process_chunk")
            session.add(job)
            session.flush()
            ledger.reserve(session, user_id=user.id, job_id=job.id, amount=chunk_count)
            chunks = [JobChunk(job_id=job.id, index=i, units_total=1,
                               status=JobStatus.QUEUED if i < in_flight else JobStatus.PENDING,
                               spec={"first_page": i + 1, "last_page": i + 1})
                      for i in range(chunk_count)]
            session.add_all(chunks)
            session.flush()
            return job.id, [c.id for c in chunks]

    return make


@pytest.fixture
def unpublished(monkeypatch) -> None:
    """Messages stay in the outbox: a live worker of the test session (e2e) must not run
    a chunk of these jobs while a test looks at them."""

    class Stub:
        def submit(self, messages: object) -> None:
            pass

    monkeypatch.setattr(outbox, "_publisher", Stub)


@pytest.fixture
def own_reaper(monkeypatch) -> None:
    """Chunks quieted by `db.quiet_heartbeats` are lost to this process's reaper
    (`db.reap_once`) only. Its timeout is halved here and the heartbeats are made just
    older than that, so the session beat's reaper, which runs every second by the whole
    timeout, leaves them alone meanwhile: it would queue them again with a real message,
    and a live worker of the session would run that attempt before the test does."""
    settings = get_settings()
    monkeypatch.setattr(settings, "heartbeat_timeout_seconds",
                        settings.heartbeat_timeout_seconds / 2)
