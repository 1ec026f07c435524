"""A job whose task follows on (a PDF's) gets task messages only for the live workers' pool
processes that could join it: the workers already on it go on with its next chunks, so a
message more would only find its chunk taken. On the real Postgres, with heartbeat rows
written as live workers write them."""

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from shared.auth.accounts import create_user
from shared.celery_app import Queue, TaskName
from shared.credits import ledger
from shared.db import session_scope, utcnow
from shared.jobs import lifecycle
from shared.jobs import repository as repo
from shared.jobs.models import Job, JobKind, JobStatus
from shared.settings import get_settings
from shared.worker_heartbeat import WorkerHeartbeat, beat
from tests.support import db

CHUNKS = 20


@pytest.fixture
def pdf_pool(monkeypatch, database: str) -> Iterator[Callable[[int], None]]:
    """`add(slots)`: a live worker on the PDF queue with that many pool processes. Only
    the test's own workers count as live: the session's real ones beat in this table too,
    and a heartbeat interval of a microsecond makes theirs stale, while the test's rows
    are dated a minute ahead."""
    monkeypatch.setattr(get_settings(), "heartbeat_interval_seconds", 1e-6)
    names: list[str] = []

    def add(slots: int) -> None:
        name = f"test-{uuid.uuid4().hex[:8]}@host"
        names.append(name)
        with session_scope() as session:
            beat(session, name=name, queues=[Queue.PDF.value], slots=slots)
            session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == name)
                            .values(seen_at=utcnow() + timedelta(minutes=1)))

    yield add
    with session_scope() as session:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name.in_(names)))


def _start(parallelism: int, task: TaskName = TaskName.PDF_PROCESS_CHUNK
           ) -> tuple[int, list[int]]:
    """A pending job started with CHUNKS one-page chunks: its id, theirs."""
    with session_scope() as session:
        user = create_user(session, email=f"pool-{uuid.uuid4().hex[:8]}@example.com",
                           password="long enough pw", signup_credits=100)
        job = Job(user_id=user.id, kind=JobKind.PDF, status=JobStatus.PENDING,
                  estimated_credits=CHUNKS, reserved_credits=CHUNKS)
        session.add(job)
        session.flush()
        ledger.reserve(session, user_id=user.id, job_id=job.id, amount=CHUNKS)
        chunks = lifecycle.start_job(
            session, job=job, chunk_specs=[{"first_page": i + 1, "last_page": i + 1}
                                           for i in range(CHUNKS)],
            parallelism=parallelism, chunk_task=task, units_per_chunk=[1] * CHUNKS)
        assert chunks is not None
        return job.id, [chunk.id for chunk in chunks]


def _statuses(job_id: int) -> list[JobStatus]:
    return [chunk.status for chunk in db.chunks(job_id)]


def test_a_started_job_gets_a_message_for_each_live_pool_process(pdf_pool, unpublished):
    pdf_pool(2)
    pdf_pool(1)
    job_id, chunk_ids = _start(parallelism=5)
    assert db.outbox_messages_for(chunk_ids) == 3
    assert _statuses(job_id) == [JobStatus.QUEUED] * 3 + [JobStatus.PENDING] * 17


def test_the_jobs_parallelism_still_bounds_its_messages(pdf_pool, unpublished):
    pdf_pool(8)
    assert db.outbox_messages_for(_start(parallelism=5)[1]) == 5


def test_with_no_live_worker_a_job_still_gets_one_message(pdf_pool, unpublished):
    # Workers starting, or their heartbeats late: the first to come takes it and goes on.
    assert db.outbox_messages_for(_start(parallelism=5)[1]) == 1


def test_a_task_that_does_not_follow_on_gets_its_full_parallelism(pdf_pool, unpublished):
    # Each of its messages runs one chunk: the queue keeps the next one at hand.
    pdf_pool(1)
    _, chunk_ids = _start(parallelism=5, task=TaskName.OCR_PROCESS_PAGE)
    assert db.outbox_messages_for(chunk_ids, TaskName.OCR_PROCESS_PAGE) == 5


def test_a_worker_that_joins_gets_a_message_when_a_chunk_settles(pdf_pool, unpublished):
    """One worker holds a batch of three chunks taken ahead: one pool process on the job,
    not three. A second worker's process joining is free, and gets a message."""
    pdf_pool(1)
    job_id, chunk_ids = _start(parallelism=5)
    with session_scope() as session:
        job = repo.get_job(session, job_id, for_update=True)
        assert job is not None
        chunks = repo.chunks_of(session, job_id)
        repo.take_chunks(session, chunks=chunks[1:4], worker_id="worker-a",
                         task_ids=[f"taken-{i}" for i in range(1, 4)])
        repo.transition_chunk(session, chunk=chunks[0], target=JobStatus.RUNNING,
                              sources=[JobStatus.QUEUED], worker_id="worker-a")
        assert lifecycle.fill_parallel_slots(session, job, chunks) == 0  # one process, busy
    pdf_pool(1)
    with session_scope() as session:
        job = repo.get_job(session, job_id, for_update=True)
        assert job is not None
        assert lifecycle.fill_parallel_slots(session, job) == 1
    assert _statuses(job_id)[4] == JobStatus.QUEUED
    assert db.outbox_messages_for(chunk_ids) == 2  # chunk 0's, and the joiner's
