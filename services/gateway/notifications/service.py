"""Live job events for /ws: the job service's event feed, turned into messages: seed 002's
for receipts, `job_status` and `job_progress` for every other kind.

The feed is the job event log in Postgres, so nothing is lost between requests, every
gateway replica can serve any socket, and the embedded default needs no Redis. Each
request waits in the job service until there are new events (a NOTIFY from the
transaction that logged them wakes it), so a socket does not poll.
"""

from collections.abc import AsyncIterator
from typing import Any

from services.gateway.jobs_client import JobsClient
from shared.jobs.contract import FeedEvent
from shared.jobs.models import JobKind, JobStatus
from shared.jobs.states import TERMINAL, Vocabulary, public_status
from shared.receipts.steps import STEPS


async def live_messages(jobs: JobsClient, *, user_id: int, wait_seconds: float
                        ) -> AsyncIterator[dict[str, Any]]:
    """Messages for one user's socket, from now on, until the caller stops iterating."""
    after_id = (await jobs.event_feed(user_id)).last_id
    while True:
        feed = await jobs.event_feed(user_id, after_id=after_id, wait_seconds=wait_seconds)
        after_id = feed.last_id
        for event in feed.events:
            message = await _message(jobs, user_id=user_id, event=event)
            if message is not None:
                yield message


async def _message(jobs: JobsClient, *, user_id: int, event: FeedEvent
                   ) -> dict[str, Any] | None:
    if event.kind == JobKind.RECEIPT:
        return await _receipt_message(jobs, user_id=user_id, event=event)
    if event.event_type == "step":
        detail = event.step_detail()
        return {"event_type": "job_progress",
                "data": {"job_id": event.job_id, "kind": event.kind, "step": detail.step,
                         "progress": detail.progress}}
    if event.event_type != "status" or event.to_status is None:
        return None
    status = JobStatus(event.to_status)
    return {"event_type": "job_status",
            "data": {"job_id": event.job_id, "kind": event.kind,
                     "status": public_status(status, Vocabulary.V1_JOBS)}}


async def _receipt_message(jobs: JobsClient, *, user_id: int, event: FeedEvent
                           ) -> dict[str, Any] | None:
    base = {"task_id": event.job_uuid, "job_id": event.job_uuid}
    if event.event_type == "step":
        detail = event.step_detail()
        step = STEPS.get(detail.step or "")
        return {"event_type": "receipt_progress",
                "data": {**base, "status": "PROGRESS", "step": detail.step,
                         "progress": detail.progress,
                         "message": step.message if step else None}}
    if event.to_status is None:
        return None
    status = JobStatus(event.to_status)
    word = public_status(status, Vocabulary.V3_RECEIPTS)
    if status is JobStatus.COMPLETED:
        items = (await jobs.result(user_id, event.job_id)).items
        return {"event_type": "receipt_processed",
                "data": {**base, "status": word, "receipt": items[0] if items else None}}
    if status in TERMINAL:
        view = await jobs.get(user_id, event.job_id)
        return {"event_type": "receipt_failed",
                "data": {**base, "status": word, "error": view.error,
                         "error_type": view.error_type}}
    return None
