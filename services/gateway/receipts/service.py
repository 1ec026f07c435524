"""Receipts v3 (seed 002): intake of a photo, the status document, cancel."""

import hashlib
from typing import Any

from fastapi import UploadFile
from fastapi.concurrency import run_in_threadpool

from services.gateway.jobs_client import JobsClient
from services.gateway.receipts.schemas import ReceiptCancelled, ReceiptStatus, ReceiptSubmitted
from services.gateway.settings import GatewaySettings
from services.gateway.uploads import publish, store_image
from shared import storage
from shared.db import utcnow
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.contract import CreateJob, JobView
from shared.jobs.models import JobKind
from shared.jobs.states import Vocabulary, public_status
from shared.receipts.steps import STATUS_MESSAGES, STEPS


async def submit_receipt(jobs: JobsClient, *, user_id: int, upload: UploadFile,
                         settings: GatewaySettings, idempotency_key: str | None,
                         webhook_endpoint_id: int | None = None,
                         callback_secret: str | None = None) -> ReceiptSubmitted:
    """Store the photo and create its job, started; `webhook_endpoint_id` and
    `callback_secret` from `callback_for` when the request names a callback_url."""
    stored, _info = await store_image(upload, max_bytes=settings.max_receipt_bytes,
                                      max_pixels=settings.max_image_pixels)
    filename = (upload.filename or "")[:255] or None
    try:
        await publish(stored)
        view = await jobs.create(CreateJob(
            user_id=user_id, kind=JobKind.RECEIPT, units=1, original_filename=filename,
            input_path=stored.relative_path, input_sha256=stored.sha256,
            input_size=stored.size, start=True, idempotency_key=idempotency_key,
            webhook_endpoint_id=webhook_endpoint_id,
            # The callback is part of the request (see create_pdf_job).
            request_fingerprint=hashlib.sha256(
                f"receipt:{stored.sha256}:{filename}:{webhook_endpoint_id}".encode()
            ).hexdigest()))
    except BaseException:
        storage.discard(stored.relative_path)
        raise
    if view.idempotent_replay:
        await run_in_threadpool(storage.discard, stored.relative_path)
    return ReceiptSubmitted(job_id=view.uuid, filename=view.original_filename,
                            file_size=stored.size, submitted_at=view.created_at,
                            status=_word(view), callback_secret=callback_secret)


async def receipt_job(jobs: JobsClient, *, user_id: int, job_uuid: str,
                      with_result: bool = False) -> JobView:
    """The caller's receipt job by its public id; anything else is 404."""
    view = await jobs.get_by_uuid(user_id, job_uuid, with_result=with_result)
    if view.kind != JobKind.RECEIPT:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Job not found")
    return view


async def receipt_status(jobs: JobsClient, *, user_id: int, job_uuid: str) -> ReceiptStatus:
    view = await receipt_job(jobs, user_id=user_id, job_uuid=job_uuid, with_result=True)
    items = view.result_items or []
    return status_document(view, result=items[0] if items else None)


def status_document(view: JobView, *, result: dict[str, Any] | None) -> ReceiptStatus:
    word = _word(view)
    step = STEPS.get(view.current_step or "")
    if word == "SUCCESS":
        step = STEPS["DONE"]
    return ReceiptStatus(
        job_id=view.uuid, status=word, step=step.code if step else None,
        progress=100 if word == "SUCCESS" else view.progress_percent,
        message=(view.error if word == "FAILURE" and view.error
                 else step.message if step and word in ("PROGRESS", "SUCCESS")
                 else STATUS_MESSAGES.get(word, word)),
        filename=view.original_filename, submitted_at=view.created_at,
        timestamp=view.updated_at, result=result,
        error=view.error if word == "FAILURE" else None,
        error_type=view.error_type, retryable=view.retryable)


async def cancel_receipt(jobs: JobsClient, *, user_id: int, job_uuid: str) -> ReceiptCancelled:
    view = await receipt_job(jobs, user_id=user_id, job_uuid=job_uuid)
    cancelled = await jobs.cancel(user_id, view.id, vocabulary=Vocabulary.V3_RECEIPTS)
    job = cancelled.job
    return ReceiptCancelled(job_id=job.uuid, status=_word(job),
                            cancelled_at=job.finished_at or utcnow(),
                            revoked_tasks=cancelled.revoked_tasks)


def _word(view: JobView) -> str:
    return public_status(view.status, Vocabulary.V3_RECEIPTS, progress=view.progress_percent)
