"""Internal job routes; the gateway calls these with the service token and the user id.

Every route runs its whole unit of work, commit included, in one worker-thread call
(`in_transaction_thread`): see that function for the deadlock this avoids. A job's view,
which clients poll, only reads: it runs without a transaction (`in_read_thread`). A plain
create is one statement, awaited on the event loop (`service.create`).
"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request

from services.jobs.jobs import service
from services.jobs.jobs.signals import ANY_JOB, JobSignals
from shared.db import MAX_ROW_ID, in_read_thread, in_transaction_thread
from shared.jobs.contract import (
    CancelView,
    CreateJob,
    EventFeed,
    EventView,
    JobPage,
    JobView,
    ResultItems,
    StartJob,
)
from shared.jobs.models import JobKind, JobStatus
from shared.jobs.outbox import revoke_quietly
from shared.jobs.states import TERMINAL, Vocabulary

router = APIRouter(prefix="/internal")
JOB = "/users/{user_id}/jobs/{job_id}"
MAX_WAIT_SECONDS = 30.0


@router.post("/jobs", status_code=201)
async def create_job(body: CreateJob) -> JobView:
    """Create a job and reserve its estimated credits."""
    return await service.create(body)


@router.get("/users/{user_id}/jobs")
async def list_jobs(user_id: int, status: Annotated[list[JobStatus] | None, Query()] = None,
                    kind: JobKind | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 20,
                    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0) -> JobPage:
    """The user's jobs, newest first."""
    return await in_transaction_thread(service.list_jobs, user_id=user_id, status=status,
                                       kind=kind, limit=limit, offset=offset)


@router.get("/users/{user_id}/events")
async def user_events(user_id: int,
                      after_id: Annotated[int | None, Query(ge=0, le=MAX_ROW_ID)] = None,
                      kind: Annotated[list[JobKind] | None, Query()] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100,
                      wait_seconds: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
                      *, request: Request) -> EventFeed:
    """The user's job events after `after_id` (without it: none, and the id to start at).
    `wait_seconds`: when there are none yet, answer as soon as there are (/ws)."""

    async def read() -> EventFeed:
        return await in_transaction_thread(service.user_event_feed, user_id=user_id,
                                           after_id=after_id, kinds=kind or [], limit=limit)

    if after_id is None:
        return await read()
    signals: JobSignals = request.app.state.job_signals
    return await signals.wait_for_events(ANY_JOB, read, lambda feed: bool(feed.events),
                                         seconds=wait_seconds)


@router.get("/users/{user_id}/jobs/by-uuid/{job_uuid}")
async def get_job_by_uuid(user_id: int, job_uuid: str, with_result: bool = False) -> JobView:
    """One job found by its public uuid; `with_result`: its result items once ended."""
    return await in_read_thread(service.get_job_by_uuid, user_id=user_id, job_uuid=job_uuid,
                                with_result=with_result)


@router.get(JOB)
async def get_job(request: Request, user_id: int, job_id: int, with_result: bool = False,
                  wait_seconds: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0
                  ) -> JobView:
    """One job with its chunk statistics; `with_result`: its result items once ended.
    `wait_seconds`: answer as soon as the job has ended, or after that long."""

    async def read() -> JobView:
        return await in_read_thread(service.get_job, user_id=user_id, job_id=job_id,
                                    with_result=with_result)

    if not wait_seconds:
        return await read()
    signals: JobSignals = request.app.state.job_signals
    return await signals.wait_until_ended(job_id, read, lambda view: view.status in TERMINAL,
                                          seconds=wait_seconds)


@router.get(JOB + "/events")
async def job_events(request: Request, user_id: int, job_id: int,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                     offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
                     after_id: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
                     wait_seconds: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0
                     ) -> list[EventView]:
    """The job's event log after `after_id`: state changes, attempts, credit movements.
    `wait_seconds`: when there are none yet, answer as soon as there are, or after that
    long (an event stream's long poll)."""

    async def read() -> list[EventView]:
        return await in_transaction_thread(service.job_events, user_id=user_id,
                                           job_id=job_id, limit=limit, offset=offset,
                                           after_id=after_id)

    signals: JobSignals = request.app.state.job_signals
    return await signals.wait_for_events(job_id, read, bool, seconds=wait_seconds)


@router.post(JOB + "/start")
async def start_job(user_id: int, job_id: int, body: StartJob) -> JobView:
    """Queue a pending job's chunks; 400 when it is not of the expected kind or not
    pending, 409 when its file is not the expected one."""
    return await in_transaction_thread(service.start_job, user_id=user_id, job_id=job_id,
                                       request=body)


@router.post(JOB + "/cancel")
async def cancel_job(user_id: int, job_id: int, background: BackgroundTasks,
                     vocabulary: Vocabulary = Vocabulary.V1_JOBS) -> CancelView:
    """Cancel a pending or running job, revoke its tasks and release its reservation (a
    crawl or page task is charged for the units it delivered). `vocabulary`: the status
    words of the API that asks, for the refusal's message."""
    view, task_ids = await in_transaction_thread(service.cancel_job, user_id=user_id,
                                                 job_id=job_id, vocabulary=vocabulary)
    background.add_task(revoke_quietly, task_ids)
    return view


@router.post(JOB + "/finalize")
async def finalize_job(user_id: int, job_id: int) -> JobView:
    """Settle a completed job's credits (idempotent)."""
    return await in_transaction_thread(service.finalize_job, user_id=user_id, job_id=job_id)


@router.get(JOB + "/result")
async def job_result(user_id: int, job_id: int) -> ResultItems:
    """A completed job's result items in chunk order."""
    return await in_transaction_thread(service.result_items, user_id=user_id, job_id=job_id)
