"""Celery glue of the crawl worker: a thin task that hands over to the chunk runner."""

from celery import shared_task

from services.workers.crawl.pipeline import process_crawl_chunk
from shared.celery_app import TaskName
from shared.jobs.chunk_runner import run_chunk


@shared_task(name=TaskName.CRAWL_CHUNK.value)
def crawl_chunk_task(chunk_id: int, attempt: int) -> str:
    """Download one keyword x engine chunk of a crawl job (ids only; the job holds the rest)."""
    return run_chunk(chunk_id=chunk_id, attempt=attempt, work=process_crawl_chunk)
