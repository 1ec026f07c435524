"""Internal job routes; the gateway calls these with the service token and the user id."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from services.jobs.deps import SessionDep
from services.jobs.jobs import service
from services.jobs.jobs.schemas import (
    CancelView,
    CreateJob,
    EventView,
    JobPage,
    JobView,
    ResultItems,
    StartJob,
)
from services.jobs.jobs.views import job_view
from shared.jobs import repository as repo
from shared.jobs.models import JobKind, JobStatus
from shared.jobs.outbox import revoke_quietly

router = APIRouter(prefix="/internal")
JOB = "/users/{user_id}/jobs/{job_id}"


@router.post("/jobs", status_code=201)
def create_job(body: CreateJob, session: SessionDep) -> JobView:
    """Create a job and reserve its estimated credits."""
    return service.create_job(session, body)


@router.get("/users/{user_id}/jobs")
def list_jobs(user_id: int, session: SessionDep,
              status: Annotated[list[JobStatus] | None, Query()] = None,
              kind: JobKind | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20,
              offset: Annotated[int, Query(ge=0)] = 0) -> JobPage:
    """The user's jobs, newest first."""
    jobs, total = repo.list_jobs(session, user_id=user_id, status=status, kind=kind,
                                 limit=limit, offset=offset)
    return JobPage(items=[job_view(session, j) for j in jobs], total=total, limit=limit,
                   offset=offset)


@router.get(JOB)
def get_job(user_id: int, job_id: int, session: SessionDep) -> JobView:
    """One job with its chunk statistics."""
    return job_view(session, service.owned_job(session, user_id=user_id, job_id=job_id))


@router.get(JOB + "/events")
def job_events(user_id: int, job_id: int, session: SessionDep,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200,
               offset: Annotated[int, Query(ge=0)] = 0) -> list[EventView]:
    """The job's event log: state changes, attempts, credit movements."""
    service.owned_job(session, user_id=user_id, job_id=job_id)
    events = repo.events_of(session, job_id=job_id, limit=limit, offset=offset)
    return [EventView.model_validate(e, from_attributes=True) for e in events]


@router.post(JOB + "/start")
def start_job(user_id: int, job_id: int, body: StartJob, session: SessionDep) -> JobView:
    """Queue a pending job's chunks."""
    return service.start_job(session, user_id=user_id, job_id=job_id, params=body.params)


@router.post(JOB + "/cancel")
def cancel_job(user_id: int, job_id: int, session: SessionDep,
               background: BackgroundTasks) -> CancelView:
    """Cancel a pending or running job, refund its reservation, revoke its tasks."""
    view, task_ids = service.cancel_job(session, user_id=user_id, job_id=job_id)
    background.add_task(revoke_quietly, task_ids)
    return view


@router.post(JOB + "/finalize")
def finalize_job(user_id: int, job_id: int, session: SessionDep) -> JobView:
    """Settle a completed job's credits (idempotent)."""
    return service.finalize_job(session, user_id=user_id, job_id=job_id)


@router.get(JOB + "/result")
def job_result(user_id: int, job_id: int, session: SessionDep) -> ResultItems:
    """A completed job's result items in chunk order."""
    return service.result_items(session, user_id=user_id, job_id=job_id)
