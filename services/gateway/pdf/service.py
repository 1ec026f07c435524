"""PDF intake: store and inspect uploads, create and start PDF jobs, the sync path."""

import hashlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import UploadFile
from fastapi.concurrency import run_in_threadpool

from services.gateway.jobs_client import JobsClient
from services.gateway.pdf.inspection import check_pdf_bytes, count_pages
from services.gateway.pdf.schemas import ConfirmOut, PdfOptions
from services.gateway.settings import GatewaySettings
from shared import storage
from shared.errors import ConveyorError, ErrorCode, too_large
from shared.jobs.models import JobKind, JobStatus

_READ_BLOCK = 1024 * 1024
# Counting the pages of a file this small takes well under a millisecond: cheaper inline
# than the hop to a worker thread and back.
_COUNT_INLINE_BYTES = 64 * 1024


async def _blocks(upload: UploadFile) -> AsyncIterator[bytes]:
    while block := await upload.read(_READ_BLOCK):
        yield block


async def store_pdf(upload: UploadFile, settings: GatewaySettings
                    ) -> tuple[storage.StoredFile, int]:
    """Save the upload under a generated name and count its pages, or refuse it."""
    stored = await storage.save_stream(_blocks(upload), area="uploads", suffix=".pdf",
                                       max_bytes=settings.max_pdf_bytes)
    try:
        check_pdf_bytes(stored)
        page_count = (count_pages(stored.path) if stored.size <= _COUNT_INLINE_BYTES
                      else await run_in_threadpool(count_pages, stored.path))
    except BaseException:
        storage.delete(stored.relative_path)
        raise
    return stored, page_count


async def create_pdf_job(jobs: JobsClient, *, user_id: int, upload: UploadFile,
                         settings: GatewaySettings, idempotency_key: str | None,
                         max_pages: int | None = None) -> dict[str, Any]:
    stored, page_count = await store_pdf(upload, settings)
    try:
        if max_pages is not None and page_count > max_pages:
            raise ConveyorError(ErrorCode.TOO_MANY_PAGES,
                                f"the PDF has {page_count} pages; synchronous processing takes "
                                f"at most {max_pages}. Use POST /api/v1/process-pdf-async.")
        view = await jobs.create_job({
            "user_id": user_id, "kind": JobKind.PDF.value, "units": page_count,
            "page_count": page_count, "original_filename": (upload.filename or "")[:255] or None,
            "input_path": stored.relative_path, "input_sha256": stored.sha256,
            "input_size": stored.size, "idempotency_key": idempotency_key,
            "request_fingerprint": hashlib.sha256(
                f"pdf:{stored.sha256}:{upload.filename}".encode()).hexdigest()})
    except BaseException:
        storage.delete(stored.relative_path)
        raise
    if view["idempotent_replay"]:
        storage.delete(stored.relative_path)
    return view


def confirm_out(view: dict[str, Any]) -> ConfirmOut:
    return ConfirmOut(job_id=view["id"], status="pending", page_count=view["page_count"],
                      estimated_credits=view["estimated_credits"])


async def start_pdf_job(jobs: JobsClient, *, user_id: int, job_id: int, upload: UploadFile,
                        options: PdfOptions, settings: GatewaySettings) -> dict[str, Any]:
    job = await jobs.job(user_id, job_id)
    if job["kind"] != JobKind.PDF:
        raise ConveyorError(ErrorCode.INVALID_STATE, f"job {job_id} is not a PDF job")
    if job["status"] != JobStatus.PENDING:
        raise ConveyorError(ErrorCode.INVALID_STATE,
                            f"job {job_id} was already started; only pending jobs can be")
    if await _sha256_of(upload, settings.max_pdf_bytes) != job["input_sha256"]:
        raise ConveyorError(ErrorCode.CONFLICT,
                            f"pdf_file is not the file confirmed for job {job_id}")
    return await jobs.job(user_id, job_id, "start", method="POST",
                          json={"params": options.model_dump(exclude_none=True)})


async def _sha256_of(upload: UploadFile, max_bytes: int) -> str:
    digest, size = hashlib.sha256(), 0
    async for block in _blocks(upload):
        size += len(block)
        if size > max_bytes:
            raise too_large(max_bytes)
        digest.update(block)
    return digest.hexdigest()
