"""Receipts API v3 (seed 002). Every answer, errors included, is the envelope
`{status_code, message, data}` (errors: see services/gateway/errors.py)."""

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from services.gateway.deps import JobsDep, SettingsDep, UserIdDep
from services.gateway.envelope import Envelope, envelope_response, enveloped
from services.gateway.idempotency import IdempotencyKey
from services.gateway.openapi import V3_AUTHENTICATED, errors, upload_example
from services.gateway.ratelimit import limited
from services.gateway.receipts import service
from services.gateway.receipts.health import receipt_health
from services.gateway.receipts.schemas import (
    ReceiptCancelled,
    ReceiptHealth,
    ReceiptStatus,
    ReceiptSubmitted,
)
from services.gateway.webhooks.schemas import CallbackUrlForm
from services.gateway.webhooks.service import callback_for
from shared.errors import ErrorCode

router = APIRouter(prefix="/api/v3/receipts", tags=["receipts v3"],
                   responses=errors(*V3_AUTHENTICATED, v3=True))
RECEIPT_UPLOAD_PATH = "/api/v3/receipts/process"
# The messages of seed 002's answers.
SUBMITTED = "Receipt processing started"
STATUS = "Task status retrieved successfully"
CANCELLED = "Task cancellation requested"
HEALTH = "Receipt processing system health check"
JobUuid = Annotated[str, Path(description="the job_id that POST /process answered",
                              examples=["6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"])]


# 400 (in V3_AUTHENTICATED) also for a callback_url the address policy refuses.
@router.post("/process", status_code=202, responses={
    **enveloped(202, SUBMITTED, ReceiptSubmitted), **errors(402, 409, 413, 429, v3=True)},
    openapi_extra=upload_example(file="paragon.jpg"))
@limited("rate_limit_receipts")
async def process_receipt(request: Request, user_id: UserIdDep, jobs: JobsDep,
                          settings: SettingsDep, file: Annotated[UploadFile, File()],
                          idempotency_key: IdempotencyKey = None,
                          callback_url: CallbackUrlForm = None
                          ) -> Envelope[ReceiptSubmitted]:
    """Upload a receipt photo (JPEG, PNG, WebP, TIFF; at most 10 MB); 202 with its job_id.
    `callback_url`: the job's events are sent there, signed; `data.callback_secret` is
    then the secret to verify them with (see /api/v1/webhooks)."""
    endpoint_id, secret = await callback_for(user_id, callback_url)
    submitted = await service.submit_receipt(jobs, user_id=user_id, upload=file,
                                             settings=settings,
                                             idempotency_key=idempotency_key,
                                             webhook_endpoint_id=endpoint_id,
                                             callback_secret=secret)
    return Envelope(status_code=202, message=SUBMITTED, data=submitted)


@router.get("/status/{job_id}", responses={**enveloped(200, STATUS, ReceiptStatus),
                                           **errors(404, v3=True)})
async def receipt_status(job_id: JobUuid, user_id: UserIdDep, jobs: JobsDep
                         ) -> Envelope[ReceiptStatus]:
    """Status, step and progress; the receipt's fields once SUCCESS."""
    status = await service.receipt_status(jobs, user_id=user_id, job_uuid=job_id)
    return Envelope(status_code=200, message=STATUS, data=status)


@router.delete("/cancel/{job_id}", responses={**enveloped(200, CANCELLED, ReceiptCancelled),
                                              **errors(404, v3=True)})
async def cancel_receipt(job_id: JobUuid, user_id: UserIdDep, jobs: JobsDep
                         ) -> Envelope[ReceiptCancelled]:
    """Cancel a receipt that is not finished; its credit comes back."""
    cancelled = await service.cancel_receipt(jobs, user_id=user_id, job_uuid=job_id)
    return Envelope(status_code=200, message=CANCELLED, data=cancelled)


@router.get("/health", response_model=Envelope[ReceiptHealth],
            responses={**enveloped(200, HEALTH, ReceiptHealth),
                       503: {"model": Envelope[ReceiptHealth],
                             "description": "No worker could take a receipt now; its data "
                                            "names the error (UPSTREAM_UNAVAILABLE).",
                             "content": {"application/json": {"example": {
                                 "status_code": 503, "message": HEALTH, "data": {
                                     "status": "unhealthy",
                                     "timestamp": "2026-12-04T09:30:00Z",
                                     "active_receipt_tasks": 0, "workers_available": False,
                                     "tasks_registered": False, "workers": [],
                                     "error_type": "UPSTREAM_UNAVAILABLE",
                                     "retryable": True}}}}}})
async def health(_user_id: UserIdDep) -> JSONResponse:
    """Receipt workers seen, the receipt task registered, receipts being read right now
    (503 when no worker could take a receipt; `unknown` on the embedded default)."""
    report = await run_in_threadpool(receipt_health)
    if report.status != "unhealthy":
        return envelope_response(200, HEALTH, report)
    # A 503 is an error answer: its data names the error, as every v3 error's does.
    data = {**report.model_dump(), "error_type": ErrorCode.UPSTREAM_UNAVAILABLE.name,
            "retryable": ErrorCode.UPSTREAM_UNAVAILABLE.retryable}
    return envelope_response(503, HEALTH, data)
