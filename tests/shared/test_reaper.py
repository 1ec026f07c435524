"""The reaper against the real database: deadlines, forgotten pending jobs, lost workers."""

from datetime import timedelta

import pytest

from shared.auth.accounts import create_user
from shared.credits import ledger
from shared.db import session_scope, utcnow
from shared.jobs import repository as repo
from shared.jobs.models import Job, JobChunk, JobKind, JobStatus
from shared.settings import get_settings
from tests.support import db


@pytest.fixture
def user_id(database) -> int:
    import uuid

    with session_scope() as session:
        return create_user(session, email=f"reaper-{uuid.uuid4().hex[:8]}@example.com",
                           password="long enough pw", signup_credits=50).id


def _job(user_id: int, *, status: JobStatus, **values) -> int:
    with session_scope() as session:
        job = Job(user_id=user_id, kind=JobKind.PDF, status=status, estimated_credits=10,
                  reserved_credits=10, page_count=10, celery_task_id="job_x",
                  chunk_task="pdf.process_chunk", total_chunks=1, **values)
        session.add(job)
        session.flush()
        ledger.reserve(session, user_id=user_id, job_id=job.id, amount=10)
        return job.id


def _status(job_id: int) -> Job:
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None
        return job


def test_job_past_its_deadline_fails_with_timeout_and_refund(user_id):
    job_id = _job(user_id, status=JobStatus.RUNNING, deadline_at=utcnow() - timedelta(seconds=1))
    db.reap_once()
    job = _status(job_id)
    assert (job.status, job.error_type, job.retryable) == (JobStatus.FAILED, "TIMEOUT", True)
    assert db.ledger_for_job(job_id) == [("reserve", 10), ("release", 10)]
    db.reap_once()
    assert db.ledger_for_job(job_id) == [("reserve", 10), ("release", 10)]


def test_pending_job_never_started_is_cancelled_and_refunded(user_id):
    ttl = get_settings().pending_job_ttl_seconds
    old = _job(user_id, status=JobStatus.PENDING, created_at=utcnow() - timedelta(seconds=ttl + 5))
    fresh = _job(user_id, status=JobStatus.PENDING)
    db.reap_once()
    assert _status(old).status == JobStatus.CANCELLED
    assert _status(fresh).status == JobStatus.PENDING
    assert db.ledger_for_job(old) == [("reserve", 10), ("release", 10)]
    with session_scope() as session:
        assert ledger.get_balance(session, user_id).available == 50 - 10


def test_running_chunk_without_heartbeat_is_requeued_then_failed(user_id):
    # cancel_requested keeps a live session worker from claiming the requeued chunk, so
    # the test sees exactly what the reaper did.
    job_id = _job(user_id, status=JobStatus.RUNNING, cancel_requested=True,
                  deadline_at=utcnow() + timedelta(hours=1))
    quiet = utcnow() - timedelta(seconds=get_settings().heartbeat_timeout_seconds + 5)
    with session_scope() as session:
        session.add(JobChunk(job_id=job_id, index=0, status=JobStatus.RUNNING, attempts=1,
                             heartbeat_at=quiet, units_total=10,
                             spec={"first_page": 1, "last_page": 10}))
    db.reap_once()
    [chunk] = db.chunks(job_id)
    assert (chunk.status, chunk.attempts) == (JobStatus.QUEUED, 1)
    with session_scope() as session:  # the requeued attempt dies too, every time
        session.query(JobChunk).filter_by(job_id=job_id).update(
            {"status": JobStatus.RUNNING, "attempts": get_settings().task_max_retries + 1,
             "heartbeat_at": quiet})
    db.reap_once()
    [chunk] = db.chunks(job_id)
    assert (chunk.status, chunk.error_type) == (JobStatus.FAILED, "WORKER_LOST")
    job = _status(job_id)
    assert (job.status, job.error_type) == (JobStatus.FAILED, "WORKER_LOST")
    assert db.ledger_for_job(job_id) == [("reserve", 10), ("release", 10)]


def test_completed_job_nobody_finalized_is_settled_for_what_it_did(user_id):
    after = get_settings().finalize_after_seconds
    job_id = _job(user_id, status=JobStatus.COMPLETED,
                  finished_at=utcnow() - timedelta(seconds=after + 5),
                  result={"completed_units": 7, "failed_chunks": [], "item_count": 70})
    recent = _job(user_id, status=JobStatus.COMPLETED, finished_at=utcnow(),
                  result={"completed_units": 10})
    db.reap_once()
    assert _status(job_id).charged_credits == 7
    assert db.ledger_for_job(job_id) == [("reserve", 10), ("charge", 7), ("release", 3)]
    assert db.ledger_for_job(recent) == [("reserve", 10)]
