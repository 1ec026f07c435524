"""Celery glue of the OCR worker: thin tasks that hand over to the chunk runner."""

from celery import shared_task

from services.workers.ocr.pages import process_page
from services.workers.ocr.receipts import process_receipt
from shared.celery_app import TaskName
from shared.jobs.chunk_runner import run_chunk
from shared.settings import get_settings


def _ocr_retry_delay(_attempt: int) -> float:
    """Seed 002: a transient failure is retried up to 3 times, 60 s apart."""
    return get_settings().ocr_retry_delay_seconds


@shared_task(name=TaskName.OCR_PROCESS_RECEIPT.value)
def process_receipt_task(chunk_id: int, attempt: int) -> str:
    """Read one receipt image (ids only; the database holds the rest)."""
    return run_chunk(chunk_id=chunk_id, attempt=attempt, work=process_receipt,
                     retry_delay=_ocr_retry_delay)


@shared_task(name=TaskName.OCR_PROCESS_PAGE.value)
def process_page_task(chunk_id: int, attempt: int) -> str:
    """Read one scanned page of a project (ids only; the chunk spec names the page)."""
    return run_chunk(chunk_id=chunk_id, attempt=attempt, work=process_page,
                     retry_delay=_ocr_retry_delay)
