"""PDF intake: store and inspect uploads, create and start PDF jobs, the sync path."""

import hashlib

from fastapi import UploadFile
from fastapi.concurrency import run_in_threadpool

from services.gateway.jobs_client import JobsClient
from services.gateway.pdf.inspection import check_pdf_bytes, count_pages
from services.gateway.pdf.schemas import ConfirmOut, PdfOptions
from services.gateway.settings import GatewaySettings
from services.gateway.uploads import publish, store_upload, upload_blocks
from shared import storage
from shared.errors import ConveyorError, ErrorCode, too_large
from shared.jobs.contract import CreateJob, JobView
from shared.jobs.models import JobKind

# Counting the pages of a file this small takes well under a millisecond: cheaper inline
# than the hop to a worker thread and back.
_COUNT_INLINE_BYTES = 64 * 1024


async def store_pdf(upload: UploadFile, settings: GatewaySettings
                    ) -> tuple[storage.StoredFile, int]:
    """Save the upload under a generated name and count its pages, or refuse it."""
    stored = await store_upload(upload, max_bytes=settings.max_pdf_bytes, suffix=".pdf")
    try:
        check_pdf_bytes(stored)
        page_count = (count_pages(stored.path) if stored.size <= _COUNT_INLINE_BYTES
                      else await run_in_threadpool(count_pages, stored.path))
        await publish(stored)
    except BaseException:
        storage.discard(stored.relative_path)
        raise
    return stored, page_count


async def create_pdf_job(jobs: JobsClient, *, user_id: int, upload: UploadFile,
                         settings: GatewaySettings, idempotency_key: str | None,
                         max_pages: int | None = None,
                         webhook_endpoint_id: int | None = None) -> JobView:
    stored, page_count = await store_pdf(upload, settings)
    try:
        if max_pages is not None and page_count > max_pages:
            raise ConveyorError(ErrorCode.TOO_MANY_PAGES,
                                f"the PDF has {page_count} pages; synchronous processing takes "
                                f"at most {max_pages}. Use POST /api/v1/process-pdf-async.")
        view = await jobs.create(CreateJob(
            user_id=user_id, kind=JobKind.PDF, units=page_count, page_count=page_count,
            original_filename=(upload.filename or "")[:255] or None,
            input_path=stored.relative_path, input_sha256=stored.sha256,
            input_size=stored.size, idempotency_key=idempotency_key,
            webhook_endpoint_id=webhook_endpoint_id,
            # The callback is part of the request: the same key with another callback_url
            # is a conflict, not a replay of a job that delivers elsewhere.
            request_fingerprint=hashlib.sha256(
                f"pdf:{stored.sha256}:{upload.filename}:{webhook_endpoint_id}".encode()
            ).hexdigest()))
    except BaseException:
        storage.discard(stored.relative_path)
        raise
    if view.idempotent_replay:
        await run_in_threadpool(storage.discard, stored.relative_path)
    return view


def confirm_out(view: JobView, *, callback_secret: str | None = None) -> ConfirmOut:
    return ConfirmOut(job_id=view.id, status="pending", page_count=view.page_count or 0,
                      estimated_credits=view.estimated_credits,
                      callback_secret=callback_secret)


async def start_pdf_job(jobs: JobsClient, *, user_id: int, job_id: int, upload: UploadFile,
                        options: PdfOptions, settings: GatewaySettings) -> JobView:
    """Start the confirmed job with the file it was confirmed with: the job service checks
    its kind, that it is pending and the file's hash in the transaction that starts it."""
    sha256 = await _sha256_of(upload, settings.max_pdf_bytes)
    return await jobs.start(user_id, job_id, params=options.model_dump(exclude_none=True),
                            expect_kind=JobKind.PDF, expect_sha256=sha256)


async def _sha256_of(upload: UploadFile, max_bytes: int) -> str:
    digest, size = hashlib.sha256(), 0
    async for block in upload_blocks(upload):
        size += len(block)
        if size > max_bytes:
            raise too_large(max_bytes)
        digest.update(block)
    return digest.hexdigest()
