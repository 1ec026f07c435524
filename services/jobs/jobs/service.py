"""Job lifecycle as the job service offers it: create+reserve, start, cancel, finalize."""

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.jobs.jobs import repository as view_repo
from services.jobs.jobs import views
from services.jobs.planners import WorkPlan, plan_work, validate_units
from shared.credits import ledger
from shared.credits.prices import estimate_credits
from shared.db import in_transaction_thread, utcnow, writes_on_the_loop
from shared.errors import ConveyorError, ErrorCode
from shared.jobs import creation, lifecycle
from shared.jobs import repository as repo
from shared.jobs.contract import (
    CancelView,
    CreateJob,
    EventFeed,
    EventView,
    FeedEvent,
    JobPage,
    JobView,
    ResultItems,
    StartJob,
)
from shared.jobs.models import PAGE_KINDS, Job, JobKind, JobStatus
from shared.jobs.states import Vocabulary, public_status
from shared.logging import bind
from shared.pages import repository as pages_repo
from shared.pages.params import PageTaskParams

log = logging.getLogger(__name__)

_KIND_NAMES = {JobKind.PDF: "PDF", JobKind.RECEIPT: "receipt", JobKind.PAGE_OCR: "page OCR",
               JobKind.PAGE_BATCH: "page batch", JobKind.COLOR_TRANSFER: "colour transfer",
               JobKind.CRAWL: "crawl", JobKind.VALIDATION: "validation"}

# How long an uncommitted event may hold a user's feed back: a gap in the event ids older
# than this is a rolled-back insert, never to be filled (transactions here last milliseconds).
FEED_SETTLE_SECONDS = 5.0


def owned_job(session: Session, *, user_id: int, job_id: int, for_update: bool = False) -> Job:
    job = repo.get_job(session, job_id, for_update=for_update)
    if job is None or job.user_id != user_id:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Job not found")
    return job


def get_job_by_uuid(db: Connection, *, user_id: int, job_uuid: str,
                    with_result: bool = False) -> JobView:
    """The public uuid (seeds 000, 002, 003 call it task_id / job_id) of the user's job;
    `with_result`: with its result items once it ended. Only reads (`shared.db.in_read`)."""
    found = view_repo.job_with_chunks_by_uuid(db, job_uuid=job_uuid, user_id=user_id,
                                              with_results=with_result)
    return _view_of(found, with_result=with_result)


def get_job(db: Connection, *, user_id: int, job_id: int, with_result: bool = False
            ) -> JobView:
    """What a status poll answers. Only reads (`shared.db.in_read`)."""
    found = view_repo.job_with_chunks(db, job_id=job_id, user_id=user_id,
                                      with_results=with_result)
    return _view_of(found, with_result=with_result)


def _view_of(found: view_repo.JobWithChunks | None, *, with_result: bool) -> JobView:
    if found is None:  # or another user's job: the same answer, so ids reveal nothing
        raise ConveyorError(ErrorCode.NOT_FOUND, "Job not found")
    job, chunks = found
    return views.view_of(job, chunks, with_result=with_result)


def list_jobs(session: Session, *, user_id: int, status: list[JobStatus] | None,
              kind: JobKind | None, limit: int, offset: int) -> JobPage:
    jobs, total = repo.list_jobs(session, user_id=user_id, status=status, kind=kind,
                                 limit=limit, offset=offset)
    return JobPage(items=[views.job_view(session, j) for j in jobs], total=total, limit=limit,
                   offset=offset)


def job_events(session: Session, *, user_id: int, job_id: int, limit: int, offset: int,
               after_id: int = 0) -> list[EventView]:
    owned_job(session, user_id=user_id, job_id=job_id)
    events = repo.events_of(session, job_id=job_id, limit=limit, offset=offset,
                            after_id=after_id)
    return [EventView.model_validate(e, from_attributes=True) for e in events]


def user_event_feed(session: Session, *, user_id: int, after_id: int | None,
                    kinds: list[JobKind], limit: int) -> EventFeed:
    """Status and step events of the user's jobs after `after_id`; None starts at now.

    Only events through the settled id are answered (repository.settled_event_id): jobs
    commit their events in any order, and a feed that moved past an id still being
    committed would never send that event."""
    if after_id is None:
        return EventFeed(events=[], last_id=repo.last_event_id(session))
    settled = repo.settled_event_id(
        session, after_id=after_id,
        young_since=utcnow() - timedelta(seconds=FEED_SETTLE_SECONDS))
    rows = repo.events_of_user(session, user_id=user_id, after_id=after_id, up_to=settled,
                               kinds=kinds, event_types=["status", "step"], limit=limit)
    events = [FeedEvent(id=e.id, job_id=job.id, job_uuid=job.uuid, kind=job.kind,
                        event_type=e.event_type, to_status=e.to_status, detail=e.detail,
                        created_at=e.created_at) for e, job in rows]
    # A full page ends at its last event; otherwise the feed has read through `settled`.
    return EventFeed(events=events, last_id=events[-1].id if len(events) == limit else settled)


async def create(request: CreateJob) -> JobView:
    """Insert the job and reserve its estimate (402 when short); `start`: queue it too.

    A job that is only its row and reservation (no Idempotency-Key to look up, nothing to
    start, no pages to claim) is one statement, awaited on the event loop; any other
    create runs on a worker thread, in one transaction."""
    if _is_plain(request):
        return await _create_plain(request)
    return await in_transaction_thread(create_job, request)


def _is_plain(request: CreateJob) -> bool:
    return (not request.idempotency_key and not request.start
            and request.kind not in PAGE_KINDS and writes_on_the_loop())


async def _create_plain(request: CreateJob) -> JobView:
    validate_units(request.kind, request.units)
    estimate = estimate_credits(request.kind, request.units)
    job = await creation.create_job_reserving_on_the_loop(amount=estimate,
                                                          **_job_fields(request))
    if job is None:  # nothing was written; the 402 names the balance
        raise await in_transaction_thread(ledger.shortfall, user_id=request.user_id,
                                          amount=estimate)
    _log_created(job, estimate)
    return views.view_of(job, [])  # a new job has no chunks


def create_job(session: Session, request: CreateJob) -> JobView:
    """Insert the job and reserve its estimate in one transaction (402 when short)."""
    replay = _idempotent_replay(session, request)
    if replay is not None:
        return replay
    validate_units(request.kind, request.units)
    # Planned first: a job that cannot start is refused, not left pending.
    plan = plan_work(session, Job(user_id=request.user_id, kind=request.kind,
                                  page_count=request.page_count, params=request.params)
                     ) if request.start else None
    estimate = estimate_credits(request.kind, request.units)
    try:
        job = creation.create_job_reserving(session, amount=estimate, **_job_fields(request))
    except IntegrityError as exc:  # the same key raced in from a parallel request
        raise ConveyorError(ErrorCode.IDEMPOTENCY_CONFLICT,
                            "a request with this Idempotency-Key is in progress") from exc
    _log_created(job, estimate)
    if job.kind in PAGE_KINDS:  # queued with the job, before any worker can see it
        pages = PageTaskParams.model_validate(job.params).pages
        pages_repo.assign_to_job(session, page_ids=[page.page_id for page in pages],
                                 job_id=job.id, task_id=job.uuid)
    if plan is not None:
        # Nobody else knows the job yet: no need to lock it, read it back or plan it again.
        return _start(session, job, plan)
    return views.job_view(session, job)


def _job_fields(request: CreateJob) -> dict[str, Any]:
    """The job row's columns the request gives."""
    return {"user_id": request.user_id, "kind": request.kind,
            "original_filename": request.original_filename, "input_path": request.input_path,
            "input_sha256": request.input_sha256, "input_size": request.input_size,
            "page_count": request.page_count, "params": request.params,
            "idempotency_key": request.idempotency_key,
            "request_fingerprint": request.request_fingerprint,
            "webhook_endpoint_id": request.webhook_endpoint_id}


def _log_created(job: Job, estimate: int) -> None:
    bind(job_id=job.id, user_id=job.user_id)  # the request's later lines name the new job
    log.info("%s job created, %d credits reserved", job.kind.value, estimate)


def _idempotent_replay(session: Session, request: CreateJob) -> JobView | None:
    if not request.idempotency_key:
        return None
    job = repo.find_by_idempotency_key(session, user_id=request.user_id,
                                       key=request.idempotency_key)
    if job is None:
        return None
    if job.request_fingerprint != request.request_fingerprint or job.kind != request.kind:
        raise ConveyorError(ErrorCode.IDEMPOTENCY_CONFLICT,
                            "this Idempotency-Key was used with a different request")
    return views.job_view(session, job).model_copy(update={"idempotent_replay": True})


def start_job(session: Session, *, user_id: int, job_id: int, request: StartJob) -> JobView:
    """Queue a pending job's chunks, after checking what the caller expects of it."""
    job = owned_job(session, user_id=user_id, job_id=job_id, for_update=True)
    if request.expect_kind is not None and job.kind != request.expect_kind:
        raise ConveyorError(ErrorCode.INVALID_STATE,
                            f"job {job_id} is not a {_KIND_NAMES[request.expect_kind]} job")
    if job.status != JobStatus.PENDING:
        raise ConveyorError(ErrorCode.INVALID_STATE,
                            f"Cannot start job with status '{views.v1_word(job)}'. "
                            "Only pending jobs can be started.")
    if request.expect_sha256 is not None and job.input_sha256 != request.expect_sha256:
        raise ConveyorError(ErrorCode.CONFLICT,
                            f"pdf_file is not the file confirmed for job {job_id}"
                            if job.kind == JobKind.PDF else
                            f"the file is not the one confirmed for job {job_id}")
    job.params = {**job.params, **request.params}
    return _start(session, job, plan_work(session, job))


def _start(session: Session, job: Job, plan: WorkPlan) -> JobView:
    chunks = lifecycle.start_job(session, job=job, chunk_specs=plan.chunk_specs,
                                 parallelism=plan.parallelism, chunk_task=plan.chunk_task,
                                 units_per_chunk=plan.units_per_chunk)
    return views.job_view(session, job, chunks=chunks)


def cancel_job(session: Session, *, user_id: int, job_id: int,
               vocabulary: Vocabulary = Vocabulary.V1_JOBS) -> tuple[CancelView, list[str]]:
    """The refusal names the job's status in `vocabulary`, the words of the API that asks
    (a v3 client knows SUCCESS, not completed)."""
    job = owned_job(session, user_id=user_id, job_id=job_id, for_update=True)
    task_ids = lifecycle.cancel_job(session, job)
    if task_ids is None:
        word = public_status(job.status, vocabulary, progress=job.progress_percent)
        raise ConveyorError(ErrorCode.INVALID_STATE, f"Cannot cancel job with status: {word}")
    return CancelView(job=views.job_view(session, job), revoked_tasks=len(task_ids)), task_ids


def finalize_job(session: Session, *, user_id: int, job_id: int) -> JobView:
    """Settle a completed job: charge the units it processed, release the rest. Once."""
    job = owned_job(session, user_id=user_id, job_id=job_id, for_update=True)
    if job.status != JobStatus.COMPLETED:
        raise ConveyorError(ErrorCode.INVALID_STATE,
                            f"Only completed jobs can be finalized; this one is "
                            f"{views.v1_word(job)}")
    if job.finalized_at is None:
        lifecycle.finalize_job(session, job)
    return views.job_view(session, job)


def result_items(session: Session, *, user_id: int, job_id: int) -> ResultItems:
    job = owned_job(session, user_id=user_id, job_id=job_id)
    if job.status != JobStatus.COMPLETED:
        raise ConveyorError(ErrorCode.INVALID_STATE,
                            f"the job is {views.v1_word(job)}; results exist once it completed")
    items = views.result_items(repo.chunks_of(session, job.id, with_results=True))
    return ResultItems(job_id=job.id, kind=job.kind, items=items,
                       failed_chunks=(job.result or {}).get("failed_chunks", []))
