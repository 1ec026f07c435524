"""Receipts API v3 (seed 002). Every answer, errors included, is the envelope
`{status_code, message, data}` (errors: see services/gateway/errors.py)."""

from typing import Annotated

from fastapi import APIRouter, File, Header, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from services.gateway.deps import JobsDep, SettingsDep, UserIdDep
from services.gateway.envelope import Envelope, envelope_response
from services.gateway.openapi import V3_AUTHENTICATED, errors
from services.gateway.ratelimit import limiter
from services.gateway.receipts import service
from services.gateway.receipts.health import receipt_health
from services.gateway.receipts.schemas import (
    ReceiptCancelled,
    ReceiptHealth,
    ReceiptStatus,
    ReceiptSubmitted,
)
from services.gateway.settings import get_gateway_settings
from shared.errors import ErrorCode

router = APIRouter(prefix="/api/v3/receipts", tags=["receipts v3"],
                   responses=errors(*V3_AUTHENTICATED, v3=True))
RECEIPT_UPLOAD_PATH = "/api/v3/receipts/process"
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


@router.post("/process", status_code=202)
@limiter.limit(get_gateway_settings().rate_limit_receipts)
async def process_receipt(request: Request, user_id: UserIdDep, jobs: JobsDep,
                          settings: SettingsDep, file: Annotated[UploadFile, File()],
                          idempotency_key: IdempotencyKey = None
                          ) -> Envelope[ReceiptSubmitted]:
    """Upload a receipt photo (JPEG, PNG, WebP, TIFF; at most 10 MB); 202 with its job_id."""
    submitted = await service.submit_receipt(jobs, user_id=user_id, upload=file,
                                             settings=settings,
                                             idempotency_key=idempotency_key)
    return Envelope(status_code=202, message="Receipt processing started", data=submitted)


@router.get("/status/{job_id}")
async def receipt_status(job_id: str, user_id: UserIdDep, jobs: JobsDep
                         ) -> Envelope[ReceiptStatus]:
    """Status, step and progress; the receipt's fields once SUCCESS."""
    status = await service.receipt_status(jobs, user_id=user_id, job_uuid=job_id)
    return Envelope(status_code=200, message="Task status retrieved successfully", data=status)


@router.delete("/cancel/{job_id}")
async def cancel_receipt(job_id: str, user_id: UserIdDep, jobs: JobsDep
                         ) -> Envelope[ReceiptCancelled]:
    """Cancel a receipt that is not finished; its credit comes back."""
    cancelled = await service.cancel_receipt(jobs, user_id=user_id, job_uuid=job_id)
    return Envelope(status_code=200, message="Task cancellation requested", data=cancelled)


@router.get("/health", response_model=Envelope[ReceiptHealth])
async def health(_user_id: UserIdDep) -> JSONResponse:
    """Receipt workers seen, the receipt task registered, receipts being read right now
    (503 when no worker could take a receipt; `unknown` on the embedded default)."""
    report = await run_in_threadpool(receipt_health)
    if report.status != "unhealthy":
        return envelope_response(200, "Receipt processing system health check", report)
    # A 503 is an error answer: its data names the error, as every v3 error's does.
    data = {**report.model_dump(), "error_type": ErrorCode.UPSTREAM_UNAVAILABLE.name,
            "retryable": ErrorCode.UPSTREAM_UNAVAILABLE.retryable}
    return envelope_response(503, "Receipt processing system health check", data)
