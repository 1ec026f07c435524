"""Webhook deliveries against the real database: written with the job's state change (or
not at all), one job.started per job, progress throttled, and one claimer per attempt."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.db import session_scope, utcnow
from shared.jobs import repository as jobs_repo
from shared.jobs.models import Job, JobKind, JobStatus, OutboxMessage
from shared.webhooks import events
from shared.webhooks import repository as repo
from shared.webhooks.models import WebhookDelivery

S = JobStatus
UNREACHABLE = "http://127.0.0.1:9/hook"  # the discard port: nothing listens


@pytest.fixture
def job_with_endpoint(make_user) -> tuple[int, int]:
    """A queued job of a user with one endpoint for every event; (job id, endpoint id)."""
    user_id = make_user(10)
    with session_scope() as session:
        endpoint = repo.add_endpoint(session, user_id=user_id, url=UNREACHABLE,
                                     events=["job.started", "job.progress", "job.completed"],
                                     secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        job = Job(user_id=user_id, kind=JobKind.PDF, status=S.QUEUED, total_chunks=1)
        session.add(job)
        session.flush()
        return job.id, endpoint.id


def deliveries_of(job_id: int) -> list[WebhookDelivery]:
    with session_scope() as session:
        return list(session.scalars(select(WebhookDelivery)
                                    .where(WebhookDelivery.job_id == job_id)
                                    .order_by(WebhookDelivery.id)))


def transition(job_id: int, target: JobStatus, **values: object) -> None:
    with session_scope() as session:
        job = jobs_repo.get_job(session, job_id, for_update=True)
        assert job is not None
        assert jobs_repo.transition_job(session, job=job, target=target, **values)


def test_a_delivery_and_its_message_commit_with_the_state_change(job_with_endpoint):
    job_id, endpoint_id = job_with_endpoint
    with pytest.raises(RuntimeError), session_scope() as session:
        job = jobs_repo.get_job(session, job_id, for_update=True)
        assert job is not None
        jobs_repo.transition_job(session, job=job, target=S.RUNNING, attempts=1)
        raise RuntimeError("the transaction fails after the change")
    assert deliveries_of(job_id) == []

    transition(job_id, S.RUNNING, attempts=1)
    [started] = deliveries_of(job_id)
    assert (started.endpoint_id, started.event_type, started.status) == (
        endpoint_id, "job.started", "pending")
    assert started.payload["type"] == "job.started"
    assert started.payload["data"]["status"] == "running"
    assert started.retry_until - started.created_at == timedelta(hours=24)
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kwargs["delivery_id"].as_integer() == started.id)) == 1


def test_a_requeued_job_is_not_started_again_and_unwanted_events_are_not_sent(
        job_with_endpoint):
    job_id, _ = job_with_endpoint
    transition(job_id, S.RUNNING, attempts=1)
    transition(job_id, S.QUEUED)  # the reaper requeues it
    transition(job_id, S.RUNNING, attempts=2)
    transition(job_id, S.FAILED)  # the endpoint did not ask for job.failed
    assert [d.event_type for d in deliveries_of(job_id)] == ["job.started"]


def test_progress_is_throttled_per_job(job_with_endpoint):
    job_id, _ = job_with_endpoint
    transition(job_id, S.RUNNING, attempts=1)
    for _ in range(3):
        with session_scope() as session:
            events.on_progress(session, job_id)
    assert [d.event_type for d in deliveries_of(job_id)] == ["job.started", "job.progress"]


def test_one_claimer_per_attempt(job_with_endpoint):
    # Due an hour from now, and claimed "then": the session's maintenance worker, which
    # scans for deliveries due by the real clock, cannot take it first.
    job_id, endpoint_id = job_with_endpoint
    now = utcnow() + timedelta(hours=1)
    with session_scope() as session:
        [delivery_id] = repo.insert_deliveries(session, [
            {"message_id": f"msg_claim_{job_id}", "endpoint_id": endpoint_id,
             "job_id": job_id, "event_type": "job.completed", "payload": {},
             "status": "pending", "attempts": 0, "next_attempt_at": now,
             "retry_until": now + timedelta(hours=24), "created_at": now}])
    lease = timedelta(seconds=60)
    with session_scope() as session:
        claimed = repo.claim(session, delivery_id=delivery_id, now=now, lease_until=now + lease)
        assert claimed is not None and claimed[0].attempts == 1
    with session_scope() as session:  # a second copy of its task
        assert repo.claim(session, delivery_id=delivery_id, now=now,
                          lease_until=now + lease) is None
        # ... and once the lease ran out, the attempt's late outcome is not written.
        later = now + lease + timedelta(seconds=1)
        assert repo.claim(session, delivery_id=delivery_id, now=later,
                          lease_until=later + lease) is not None
    with session_scope() as session:
        assert not repo.record_attempt(session, delivery_id=delivery_id, attempt=1, now=now,
                                       status_code=200, error=None, next_attempt_at=None)
        assert repo.record_attempt(session, delivery_id=delivery_id, attempt=2, now=now,
                                   status_code=200, error=None, next_attempt_at=None)
    [delivered] = deliveries_of(job_id)
    assert (delivered.status, delivered.attempts) == ("delivered", 2)
