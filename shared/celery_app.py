"""The Celery app factory every worker, beat and publisher uses; queue and task names.

Services publish by task name (`send_task`) and never import worker code.
"""

from contextvars import Token
from enum import StrEnum
from typing import Any

from celery import Celery, signals
from kombu import Queue as KombuQueue

from shared import worker_heartbeat  # noqa: F401  (connects its worker signals)
from shared.allocator import keep_freed_memory_for_reuse
from shared.gc_tuning import freeze_startup_objects
from shared.logging import bind, configure_logging, unbind
from shared.settings import Settings, get_settings
from shared.worker_metrics import enable_worker_metrics


class Queue(StrEnum):
    PDF = "pdf"
    OCR = "ocr"
    COLOR = "color"
    CRAWL = "crawl"
    MAINTENANCE = "maintenance"


class TaskName(StrEnum):
    PDF_PROCESS_CHUNK = "pdf.process_chunk"
    OCR_PROCESS_RECEIPT = "ocr.process_receipt"
    OCR_PROCESS_PAGE = "ocr.process_page"
    COLOR_TRANSFER = "color.transfer"
    # One download task per engine, so each engine has its own rate limit (seed 004).
    CRAWL_CHUNK_WEB = "crawl.download_chunk.web"
    CRAWL_CHUNK_BING = "crawl.download_chunk.bing"
    CRAWL_CHUNK_GOOGLE = "crawl.download_chunk.google"
    # One validation task per level, each with the seed's rate limit.
    CRAWL_VALIDATE_FAST = "crawl.validate_images.fast"
    CRAWL_VALIDATE_MEDIUM = "crawl.validate_images.medium"
    CRAWL_VALIDATE_SLOW = "crawl.validate_images.slow"
    RELAY_OUTBOX = "maintenance.relay_outbox"
    REAP_STALE_JOBS = "maintenance.reap_stale_jobs"
    CLEAN_OLD_FILES = "maintenance.clean_old_files"
    # One attempt of one webhook delivery; the scan re-sends those whose retry is due.
    DELIVER_WEBHOOK = "maintenance.deliver_webhook"
    RETRY_WEBHOOKS = "maintenance.retry_webhooks"


TASK_QUEUES: dict[TaskName, Queue] = {
    TaskName.PDF_PROCESS_CHUNK: Queue.PDF,
    TaskName.OCR_PROCESS_RECEIPT: Queue.OCR,
    TaskName.OCR_PROCESS_PAGE: Queue.OCR,
    TaskName.COLOR_TRANSFER: Queue.COLOR,
    TaskName.CRAWL_CHUNK_WEB: Queue.CRAWL,
    TaskName.CRAWL_CHUNK_BING: Queue.CRAWL,
    TaskName.CRAWL_CHUNK_GOOGLE: Queue.CRAWL,
    TaskName.CRAWL_VALIDATE_FAST: Queue.CRAWL,
    TaskName.CRAWL_VALIDATE_MEDIUM: Queue.CRAWL,
    TaskName.CRAWL_VALIDATE_SLOW: Queue.CRAWL,
    TaskName.RELAY_OUTBOX: Queue.MAINTENANCE,
    TaskName.REAP_STALE_JOBS: Queue.MAINTENANCE,
    TaskName.CLEAN_OLD_FILES: Queue.MAINTENANCE,
    TaskName.DELIVER_WEBHOOK: Queue.MAINTENANCE,
    TaskName.RETRY_WEBHOOKS: Queue.MAINTENANCE,
}


# Chunk tasks whose worker goes on with its job's next chunks once one is done (the chunk
# runner's follow-on): a job of theirs needs a message only for each worker that can join
# it; one more would find its chunk taken.
FOLLOWS_ON: frozenset[TaskName] = frozenset({TaskName.PDF_PROCESS_CHUNK})


def _transport_options(settings: Settings) -> dict[str, object]:
    if settings.is_embedded:
        # kombu's SQLAlchemy transport hands every option to create_engine: pass none.
        return {}
    # Redis redelivers an unacked message after this long; it must exceed the hard time
    # limit or a long task would be handed to a second worker while the first still runs.
    options: dict[str, object] = {"visibility_timeout": settings.task_time_limit + 600}
    if settings.redis_key_prefix:
        options["global_keyprefix"] = settings.redis_key_prefix
    return options


def create_celery_app(name: str, *, include: list[str] | None = None,
                      settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery(name, broker=settings.broker_url, include=include or [])
    app.conf.update(
        task_ignore_result=True,  # Postgres holds job state; no result backend needed.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
        broker_transport_options=_transport_options(settings),
        broker_connection_retry_on_startup=True,
        task_queues=[KombuQueue(q.value) for q in Queue],
        task_routes={name.value: {"queue": queue.value} for name, queue in TASK_QUEUES.items()},
        task_default_queue=Queue.MAINTENANCE.value,
        worker_hijack_root_logger=False,
        worker_send_task_events=settings.celery_task_events,
        task_send_sent_event=settings.celery_task_events,
    )
    return app


def create_worker_app(name: str, *, include: list[str]) -> Celery:
    """A domain worker's app: its logging, malloc settings for image-sized arrays
    (`shared.allocator`; inherited by the pool processes it forks), its metrics
    (`shared.worker_metrics`, on METRICS_PORT) and Celery."""
    configure_logging(name)
    keep_freed_memory_for_reuse()
    enable_worker_metrics()
    return create_celery_app(name, include=include)


@signals.worker_process_init.connect
@signals.worker_ready.connect
def _freeze_startup_objects(**_: Any) -> None:
    # In each pool process once forked (it starts with all its parent imported), and in
    # the main process once ready (a solo pool's tasks run there): see shared.gc_tuning.
    freeze_startup_objects()


# The log context of the task running in this process (one at a time: prefork or solo).
_task_context: dict[str, Token[Any]] = {}


@signals.task_prerun.connect
def _bind_task_context(task_id: str, kwargs: dict[str, Any] | None = None,
                       **_: Any) -> None:
    """Every line a task writes names its attempt; the chunk runner adds the chunk."""
    _task_context[task_id] = bind(attempt=(kwargs or {}).get("attempt"))


@signals.task_postrun.connect
def _reset_task_context(task_id: str, **_: Any) -> None:
    # The next task in this process must not inherit this one's job or chunk.
    token = _task_context.pop(task_id, None)
    if token is not None:
        unbind(token)
