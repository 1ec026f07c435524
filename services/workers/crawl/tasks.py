"""Celery glue of the crawl worker: thin tasks that hand over to the chunk runner.

Seed 004's rate limits are Celery's own (`rate_limit`, counted per worker): each engine's
download task has its own, and so has each validation level's task.
"""

from celery import shared_task

from services.workers.crawl.pipeline import process_crawl_chunk
from services.workers.crawl.settings import get_crawl_settings
from services.workers.crawl.validation.pipeline import process_validation_chunk
from shared.celery_app import TaskName
from shared.jobs.chunk_runner import Work, run_chunk

_settings = get_crawl_settings()


def _chunk_task(name: TaskName, work: Work, rate_limit: str, doc: str) -> None:
    def task(chunk_id: int, attempt: int) -> str:
        return run_chunk(chunk_id=chunk_id, attempt=attempt, work=work)

    task.__doc__ = doc
    task.__name__ = task.__qualname__ = name.value.replace(".", "_")
    shared_task(name=name.value, rate_limit=rate_limit or None)(task)


for _name in (TaskName.CRAWL_CHUNK_WEB, TaskName.CRAWL_CHUNK_BING, TaskName.CRAWL_CHUNK_GOOGLE):
    _chunk_task(_name, process_crawl_chunk, _settings.crawl_engine_task_rate_limit,
                "Download one keyword x engine chunk of a crawl job (ids only).")
for _name, _limit in ((TaskName.CRAWL_VALIDATE_FAST, _settings.validation_rate_limit_fast),
                      (TaskName.CRAWL_VALIDATE_MEDIUM, _settings.validation_rate_limit_medium),
                      (TaskName.CRAWL_VALIDATE_SLOW, _settings.validation_rate_limit_slow)):
    _chunk_task(_name, process_validation_chunk, _limit,
                "Validate one batch of a crawl job's images at the run's level (ids only).")
