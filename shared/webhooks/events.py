"""Job events as webhook deliveries, written in the transaction that changes the job.

`shared.jobs.repository.transition_job` calls `on_transition` for every status change, and
the places where a job's progress moves call `on_progress`. A delivery row and its task
message (through the outbox) commit with the change itself: a committed event is
delivered at least once, a rolled-back one never.
"""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from shared.celery_app import TaskName
from shared.db import utcnow
from shared.jobs.models import Job, JobStatus
from shared.jobs.outbox import enqueue_task
from shared.settings import get_settings
from shared.webhooks import repository as repo
from shared.webhooks.models import DeliveryStatus, WebhookEvent

_ENDED = {JobStatus.COMPLETED: WebhookEvent.JOB_COMPLETED,
          JobStatus.FAILED: WebhookEvent.JOB_FAILED,
          JobStatus.CANCELLED: WebhookEvent.JOB_CANCELLED}


def on_transition(session: Session, job: Job) -> None:
    """After `job` (as the update returned it) changed status."""
    if job.status == JobStatus.RUNNING and job.attempts == 1:
        # Only the first start: a job requeued by the reaper runs again, not anew.
        record(session, job=job, event_type=WebhookEvent.JOB_STARTED)
    elif job.status in _ENDED:
        record(session, job=job, event_type=_ENDED[job.status])


def on_progress(session: Session, job_id: int) -> None:
    """After a running job's progress moved; at most one job.progress per
    WEBHOOK_PROGRESS_INTERVAL_SECONDS a job (several chunks can settle in a second)."""
    endpoint_ids = repo.endpoint_ids_for(session, job_id=job_id,
                                         event_type=WebhookEvent.JOB_PROGRESS)
    if not endpoint_ids:
        return
    last = repo.last_event_at(session, job_id=job_id, event_type=WebhookEvent.JOB_PROGRESS)
    interval = timedelta(seconds=get_settings().webhook_progress_interval_seconds)
    if last is not None and utcnow() - last < interval:
        return
    job = session.get(Job, job_id, populate_existing=True)  # the update did not refresh it
    if job is not None and job.status == JobStatus.RUNNING:
        _write(session, job=job, event_type=WebhookEvent.JOB_PROGRESS,
               endpoint_ids=endpoint_ids)


def record(session: Session, *, job: Job, event_type: WebhookEvent) -> None:
    endpoint_ids = repo.endpoint_ids_for(session, job_id=job.id, event_type=event_type)
    if endpoint_ids:
        _write(session, job=job, event_type=event_type, endpoint_ids=endpoint_ids)


def _write(session: Session, *, job: Job, event_type: WebhookEvent,
           endpoint_ids: list[int]) -> None:
    now = utcnow()
    retry_until = now + timedelta(seconds=get_settings().webhook_retry_window_seconds)
    body = payload(job, event_type=event_type, at=now.isoformat())
    ids = repo.insert_deliveries(session, [
        {"message_id": f"msg_{uuid.uuid4().hex}", "endpoint_id": endpoint_id,
         "job_id": job.id, "event_type": event_type, "payload": body,
         "status": DeliveryStatus.PENDING, "attempts": 0, "next_attempt_at": now,
         "retry_until": retry_until, "created_at": now}
        for endpoint_id in endpoint_ids])
    for delivery_id in ids:
        enqueue_delivery(session, delivery_id)


def enqueue_delivery(session: Session, delivery_id: int) -> None:
    """The delivery's task message, published once the transaction committed."""
    enqueue_task(session, task_name=TaskName.DELIVER_WEBHOOK,
                 task_id=f"webhook_{delivery_id}_{uuid.uuid4().hex[:12]}",
                 kwargs={"delivery_id": delivery_id})


def payload(job: Job, *, event_type: WebhookEvent, at: str) -> dict[str, Any]:
    """Standard Webhooks' `{type, timestamp, data}`; `data` is the job as it was then."""
    return {"type": event_type.value, "timestamp": at, "data": {
        "job_id": job.id, "job_uuid": job.uuid, "kind": job.kind.value,
        "status": job.status.value, "progress_percent": job.progress_percent,
        "current_step": job.current_step, "error_type": job.error_type, "error": job.error,
        "failed_chunks": len((job.result or {}).get("failed_chunks", [])),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None}}
