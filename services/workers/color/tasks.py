"""Celery glue of the colour worker: a thin task that hands over to the chunk runner."""

from celery import shared_task

from services.workers.color.pipeline import process_color_transfer
from shared.celery_app import TaskName
from shared.jobs.chunk_runner import run_chunk


@shared_task(name=TaskName.COLOR_TRANSFER.value)
def color_transfer_task(chunk_id: int, attempt: int) -> str:
    """Recolour one uploaded image toward a RAL colour (ids only; the job holds the rest)."""
    return run_chunk(chunk_id=chunk_id, attempt=attempt, work=process_color_transfer)
