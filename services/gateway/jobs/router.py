"""Job routes of any kind (seeds 001 and 004); crawl jobs are created here."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from services.gateway.crawl.service import create_crawl_job
from services.gateway.crawl.service import job_images as job_images_of
from services.gateway.deps import JobId, JobsDep, UserIdDep
from services.gateway.jobs.presenters import (
    cancel_document,
    progress_document,
    status_document,
)
from services.gateway.openapi import AUTHENTICATED, errors
from services.gateway.ratelimit import limiter
from services.gateway.settings import get_gateway_settings
from shared.crawl.params import CrawlRequest
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.models import JobKind
from shared.jobs.states import Vocabulary, public_status, statuses_for

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"], responses=errors(*AUTHENTICATED))

# Filters accept the words of both v1 job vocabularies (001's "processing", 004's "running").
_FILTER_VOCABULARIES = (Vocabulary.V1_JOBS, Vocabulary.V1_CRAWL)


@router.get("")
async def list_jobs(user_id: UserIdDep, jobs: JobsDep, status: str | None = None,
                    kind: JobKind | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 20,
                    offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Your jobs, newest first; filter by `status` (pending, processing, ...) and `kind`."""
    statuses = statuses_for(status, _FILTER_VOCABULARIES) if status else []
    if status and not statuses:
        raise ConveyorError(ErrorCode.INPUT_INVALID, f"unknown status '{status}'; use "
                            "pending, processing (or running), completed, failed, cancelled")
    page = await jobs.list_jobs(user_id, statuses=statuses, kind=kind, limit=limit,
                                offset=offset)
    return {"jobs": [status_document(j) for j in page.items], "total": page.total,
            "limit": limit, "offset": offset}


@router.post("", status_code=201)
async def create_job(body: CrawlRequest, user_id: UserIdDep, jobs: JobsDep) -> dict[str, Any]:
    """Create a crawl job (seed 004), `pending` until started; `max_images` credits are
    reserved now and only the images kept are charged."""
    view = await create_crawl_job(jobs, user_id=user_id, request=body)
    return {**status_document(view), "name": body.name, "keywords": body.keywords,
            "engines": [engine.value for engine in body.engines],
            "max_images": body.max_images}


@router.get("/{job_id}")
async def get_job(job_id: JobId, user_id: UserIdDep, jobs: JobsDep) -> dict[str, Any]:
    """A job's status document: progress, chunks, metrics, errors."""
    return status_document(await jobs.get(user_id, job_id))


@router.get("/{job_id}/progress")
async def job_progress(job_id: JobId, user_id: UserIdDep, jobs: JobsDep) -> dict[str, Any]:
    """Chunk statistics of a job."""
    return progress_document(await jobs.get(user_id, job_id))


@router.get("/{job_id}/events")
async def job_events(job_id: JobId, user_id: UserIdDep, jobs: JobsDep,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                     offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Every state change, attempt and credit movement of a job, oldest first."""
    events = await jobs.events(user_id, job_id, limit=limit, offset=offset)
    return {"job_id": job_id, "events": [event.model_dump() for event in events]}


@router.get("/{job_id}/images")
async def job_images(job_id: JobId, user_id: UserIdDep, jobs: JobsDep,
                     verdict: Annotated[str | None, Query(
                         pattern="^(valid|invalid|unvalidated)$")] = None,
                     keyword: str | None = None, engine: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """The images a crawl job kept, with their validation verdicts and reasons; filter by
    `verdict` (valid, invalid, unvalidated), `keyword` and `engine`."""
    return await job_images_of(jobs, user_id=user_id, job_id=job_id, filters={
        "verdict": verdict, "keyword": keyword, "engine": engine, "limit": limit,
        "offset": offset})


@router.post("/{job_id}/start")
@limiter.limit(get_gateway_settings().rate_limit_job_start)
async def start_job(request: Request, job_id: JobId, user_id: UserIdDep,
                    jobs: JobsDep) -> dict[str, Any]:
    """Start a pending job: one task per chunk (400 unless pending)."""
    view = await jobs.start(user_id, job_id)
    total = view.chunks.total
    return {"job_id": view.id, "status": "running", "task_ids": view.task_ids,
            "total_chunks": total, "message": f"Job started with {total} tasks"}


@router.post("/{job_id}/cancel")
async def cancel_job(job_id: JobId, user_id: UserIdDep, jobs: JobsDep) -> dict[str, Any]:
    """Cancel a pending or processing job; its reserved credits are refunded (a crawl or
    page task is charged for the images or pages it delivered)."""
    return cancel_document(await jobs.cancel(user_id, job_id))


@router.post("/{job_id}/finalize")
async def finalize_job(job_id: JobId, user_id: UserIdDep, jobs: JobsDep) -> dict[str, Any]:
    """Settle a completed job: charge what it used, release the rest of the reservation."""
    view = await jobs.finalize(user_id, job_id)
    charged = view.charged_credits or 0
    return {"job_id": view.id,
            "status": public_status(view.status, Vocabulary.V1_JOBS),
            "reserved_credits": view.reserved_credits, "charged_credits": charged,
            "released_credits": view.reserved_credits - charged, "finalized": True,
            "message": "Job finalized"}


@router.get("/{job_id}/result", response_model=None)
async def job_result(job_id: JobId, user_id: UserIdDep, jobs: JobsDep,
                     format: Annotated[str, Query(pattern="^(json|txt)$")] = "json"
                     ) -> JSONResponse | PlainTextResponse:
    """Download a completed job's result as JSON or plain text (one sentence a line)."""
    result = await jobs.result(user_id, job_id)
    headers = {"Content-Disposition": f'attachment; filename="job_{job_id}.{format}"'}
    if format == "txt":
        return PlainTextResponse("\n".join(result.items) + "\n", headers=headers)
    return JSONResponse({"job_id": job_id, "sentences": result.items,
                         "sentence_count": len(result.items),
                         "failed_chunks": [chunk.model_dump() for chunk in result.failed_chunks]},
                        headers=headers)
