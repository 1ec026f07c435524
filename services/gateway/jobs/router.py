"""Job routes of any kind (seeds 001 and 004); crawl jobs are created here."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sse_starlette import EventSourceResponse

from services.gateway.crawl.schemas import (
    CRAWL_REQUEST_EXAMPLES,
    CrawlJobCreated,
    CrawlJobIn,
    JobImages,
)
from services.gateway.crawl.service import create_crawl_job
from services.gateway.crawl.service import job_images as job_images_of
from services.gateway.deps import (
    JobId,
    JobsDep,
    SettingsDep,
    UserIdDep,
    long_poll_seconds,
)
from services.gateway.idempotency import IdempotencyKey
from services.gateway.jobs import stream
from services.gateway.jobs.presenters import (
    cancel_document,
    failed_chunk_documents,
    progress_document,
    status_document,
)
from services.gateway.jobs.schemas import (
    AnyJobProgressDocument,
    AnyJobStatusDocument,
    JobCancelled,
    JobEvents,
    JobFinalized,
    JobList,
    JobResult,
    JobStarted,
)
from services.gateway.openapi import AUTHENTICATED, errors, links
from services.gateway.ratelimit import limited
from services.gateway.webhooks.service import callback_for
from shared.db import MAX_ROW_ID
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.models import JobKind
from shared.jobs.states import Vocabulary, public_status, statuses_for

_JOB = "/api/v1/jobs/{job_id}"
router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"], responses=errors(*AUTHENTICATED))

# Filters accept the words of both v1 job vocabularies (001's "processing", 004's "running").
_FILTER_VOCABULARIES = (Vocabulary.V1_JOBS, Vocabulary.V1_CRAWL)
Limit = Annotated[int, Query(ge=1, le=200, examples=[20])]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, examples=[0])]
# The job service answers 404 for a job that is not the caller's; 400 when its state
# does not allow the action.
_OF_A_JOB = errors(404)
_ACTION_ON_A_JOB = errors(400, 404)
_RESULT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "model": JobResult,
    "description": "The result, as JSON (`format=json`) or one sentence a line (`format=txt`).",
    "content": {"text/plain": {"schema": {"type": "string"}, "example":
                               "It was a bright cold day in April.\n"
                               "The clocks were striking thirteen.\n"}}}}


@router.get("", responses=errors(400))  # 400: an unknown status word
async def list_jobs(user_id: UserIdDep, jobs: JobsDep,
                    status: Annotated[str | None, Query(examples=["completed"])] = None,
                    kind: Annotated[JobKind | None, Query(examples=["pdf"])] = None,
                    limit: Limit = 20, offset: Offset = 0) -> JobList:
    """Your jobs, newest first; filter by `status` (pending, processing, ...) and `kind`."""
    statuses = statuses_for(status, _FILTER_VOCABULARIES) if status else []
    if status and not statuses:
        raise ConveyorError(ErrorCode.INPUT_INVALID, f"unknown status '{status}'; use "
                            "pending, processing (or running), completed, failed, cancelled")
    page = await jobs.list_jobs(user_id, statuses=statuses, kind=kind, limit=limit,
                                offset=offset)
    return JobList(jobs=[status_document(j) for j in page.items], total=page.total,
                   limit=limit, offset=offset)


# 400: a callback_url the address policy refuses; 409: the Idempotency-Key was used with
# another request.
@router.post("", status_code=201, responses={
    **errors(400, 402, 409, 413), **links(201, "id", "job_id", {
        "GetJob": ("get", _JOB), "JobProgress": ("get", _JOB + "/progress"),
        "StartJob": ("post", _JOB + "/start"), "CancelJob": ("post", _JOB + "/cancel")})})
async def create_job(
        body: Annotated[CrawlJobIn, Body(openapi_examples=CRAWL_REQUEST_EXAMPLES)],
        user_id: UserIdDep, jobs: JobsDep,
        idempotency_key: IdempotencyKey = None) -> CrawlJobCreated:
    """Create a crawl job (seed 004), `pending` until started; `max_images` credits are
    reserved now and only the images kept are charged. `callback_url`: the job's events
    are sent there, signed (see /api/v1/webhooks). The same `Idempotency-Key` again
    answers with the same job (409 with another body)."""
    endpoint_id, secret = await callback_for(user_id, body.callback_url)
    view = await create_crawl_job(jobs, user_id=user_id, request=body,
                                  idempotency_key=idempotency_key,
                                  webhook_endpoint_id=endpoint_id)
    assert body.name is not None  # the request defaults it to the keywords
    return CrawlJobCreated(**dict(status_document(view)), name=body.name,
                           keywords=body.keywords, engines=body.engines,
                           max_images=body.max_images, callback_secret=secret)


@router.get("/{job_id}", responses=_OF_A_JOB)
async def get_job(job_id: JobId, user_id: UserIdDep, jobs: JobsDep,
                  wait_seconds: Annotated[float, long_poll_seconds(
                      "the job has ended (completed, failed or cancelled)")] = 0
                  ) -> AnyJobStatusDocument:
    """A job's status document: progress, chunks, metrics, errors; a PDF job's also
    names its model and Gemini usage. `?wait_seconds=10` saves polling: the answer comes
    the moment the job ends."""
    if wait_seconds:
        return status_document(await jobs.view_once_ended(user_id, job_id,
                                                          seconds=wait_seconds))
    return status_document(await jobs.get(user_id, job_id))


@router.get("/{job_id}/progress", responses=_OF_A_JOB)
async def job_progress(job_id: JobId, user_id: UserIdDep, jobs: JobsDep
                       ) -> AnyJobProgressDocument:
    """Chunk statistics of a job; a crawl job's also count the images kept so far."""
    return progress_document(await jobs.get(user_id, job_id))


@router.get("/{job_id}/events", responses=_OF_A_JOB)
async def job_events(job_id: JobId, user_id: UserIdDep, jobs: JobsDep,
                     limit: Annotated[int, Query(ge=1, le=1000, examples=[200])] = 200,
                     offset: Offset = 0) -> JobEvents:
    """Every state change, attempt and credit movement of a job, oldest first."""
    events = await jobs.events(user_id, job_id, limit=limit, offset=offset)
    return JobEvents(job_id=job_id, events=events)


@router.get("/{job_id}/stream", response_class=EventSourceResponse, responses={
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}, "example": (
        'id: 17\nevent: status\ndata: {"id": 17, "event_type": "status", "chunk_index": '
        'null, "from_status": "queued", "to_status": "running", "detail": {}, '
        '"created_at": "2026-12-04T09:30:01Z"}\n\n')}},
          "description": "Server-Sent Events: one per entry of the job's event log, with "
                         "its id; the stream ends once the job has ended."},
    **_OF_A_JOB, **errors(400)})
async def job_stream(job_id: JobId, user_id: UserIdDep, jobs: JobsDep, settings: SettingsDep,
                     last_event_id: Annotated[str | None, Header(
                         alias="Last-Event-ID", examples=["17"],
                         description="the id of the last event received: the stream "
                                     "resumes after it")] = None) -> EventSourceResponse:
    """The job's event log, live, as Server-Sent Events (`id:` is the event's id). A client
    that reconnects with `Last-Event-ID` misses nothing; the stream ends when the job has
    ended and its last events are sent."""
    after_id = stream.last_event_id(last_event_id)
    job = await jobs.get(user_id, job_id)  # 404 before the stream starts
    return EventSourceResponse(stream.job_event_stream(
        jobs, user_id=user_id, job=job, after_id=after_id,
        wait_seconds=settings.event_wait_seconds), ping=15)


@router.get("/{job_id}/images", responses=_OF_A_JOB)
async def job_images(job_id: JobId, user_id: UserIdDep, jobs: JobsDep,
                     verdict: Annotated[str | None, Query(
                         pattern="^(valid|invalid|unvalidated)$", examples=["invalid"])] = None,
                     keyword: Annotated[str | None, Query(examples=["laptop"])] = None,
                     engine: Annotated[str | None, Query(examples=["bing"])] = None,
                     limit: Annotated[int, Query(ge=1, le=500, examples=[100])] = 100,
                     offset: Offset = 0) -> JobImages:
    """The images a crawl job kept, with their validation verdicts and reasons; filter by
    `verdict` (valid, invalid, unvalidated), `keyword` and `engine`."""
    return await job_images_of(jobs, user_id=user_id, job_id=job_id, filters={
        "verdict": verdict, "keyword": keyword, "engine": engine, "limit": limit,
        "offset": offset})


@router.post("/{job_id}/start", responses=errors(400, 404, 429))
@limited("rate_limit_job_start")
async def start_job(request: Request, job_id: JobId, user_id: UserIdDep,
                    jobs: JobsDep) -> JobStarted:
    """Start a pending job: one task per chunk (400 unless pending)."""
    view = await jobs.start(user_id, job_id)
    total = view.chunks.total
    return JobStarted(job_id=view.id, status="running", task_ids=view.task_ids,
                      total_chunks=total, message=f"Job started with {total} tasks")


@router.post("/{job_id}/cancel", responses=_ACTION_ON_A_JOB)
async def cancel_job(job_id: JobId, user_id: UserIdDep, jobs: JobsDep) -> JobCancelled:
    """Cancel a pending or processing job; its reserved credits are refunded (a crawl or
    page task is charged for the images or pages it delivered). 400 once it has ended."""
    return cancel_document(await jobs.cancel(user_id, job_id))


@router.post("/{job_id}/finalize", responses=_ACTION_ON_A_JOB)
async def finalize_job(job_id: JobId, user_id: UserIdDep, jobs: JobsDep) -> JobFinalized:
    """Settle a completed job: charge what it used, release the rest of the reservation
    (400 unless completed; once settled, the same answer again)."""
    view = await jobs.finalize(user_id, job_id)
    charged = view.charged_credits or 0
    return JobFinalized(job_id=view.id, status=public_status(view.status, Vocabulary.V1_JOBS),
                        reserved_credits=view.reserved_credits, charged_credits=charged,
                        released_credits=view.reserved_credits - charged, finalized=True,
                        message="Job finalized")


_RESULTS_OF_OTHER_KINDS = {
    JobKind.CRAWL: "Its images: GET /api/v1/jobs/<id>/images.",
    JobKind.VALIDATION: "The verdicts: GET /api/v1/jobs/<the crawl job's id>/images.",
    JobKind.RECEIPT: "Its fields: GET /api/v3/receipts/status/<its uuid>.",
    JobKind.PAGE_OCR: "The pages read: GET /api/v1/tasks/status/<its uuid>.",
    JobKind.PAGE_BATCH: "The pages read: GET /api/v1/tasks/status/<its uuid>.",
    JobKind.COLOR_TRANSFER: "Its result: GET /api/v1/task/<its uuid>.",
}


@router.get("/{job_id}/result", response_model=None,
            responses={**_RESULT_RESPONSES, **_ACTION_ON_A_JOB})
async def job_result(job_id: JobId, user_id: UserIdDep, jobs: JobsDep,
                     format: Annotated[str, Query(pattern="^(json|txt)$",
                                                  examples=["txt"])] = "json"
                     ) -> JSONResponse | PlainTextResponse:
    """Download a completed job's result as JSON or plain text (one sentence a line);
    400 until it has completed."""
    result = await jobs.result(user_id, job_id)
    if result.kind != JobKind.PDF:  # its results have their own route and shape
        raise ConveyorError(ErrorCode.INVALID_STATE, f"job {job_id} is a {result.kind} job; "
                            f"this route downloads a PDF job's sentences. "
                            + _RESULTS_OF_OTHER_KINDS[result.kind].replace("<id>", str(job_id)))
    headers = {"Content-Disposition": f'attachment; filename="job_{job_id}.{format}"'}
    if format == "txt":
        return PlainTextResponse("\n".join(result.items) + "\n", headers=headers)
    document = JobResult(job_id=job_id, sentences=result.items,
                         sentence_count=len(result.items),
                         failed_chunks=failed_chunk_documents(result.failed_chunks))
    return JSONResponse(document.model_dump(mode="json"), headers=headers)
