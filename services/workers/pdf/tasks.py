"""Celery glue of the PDF worker: thin tasks that hand over to the chunk runner."""

from celery import shared_task

from services.workers.pdf.processing import process_pdf_chunk
from shared.celery_app import FOLLOWS_ON, TaskName
from shared.jobs.chunk_runner import run_chunk


@shared_task(name=TaskName.PDF_PROCESS_CHUNK.value)
def process_chunk(chunk_id: int, attempt: int) -> str:
    """Process one page range of a PDF job (ids only; the database holds the rest), then
    the job's next ones while its follow-on time lasts: at PDFium's speed a broker round
    trip between chunks costs more than a chunk's pages."""
    return run_chunk(chunk_id=chunk_id, attempt=attempt, work=process_pdf_chunk,
                     follow_on=TaskName.PDF_PROCESS_CHUNK in FOLLOWS_ON)
