"""A worker's Prometheus metrics, served on METRICS_PORT when it is set.

Celery's prefork pool runs tasks in child processes, so the values live in
prometheus_client's multiprocess mode: each child writes them to files in
PROMETHEUS_MULTIPROC_DIR (read by prometheus_client at import, so it must be in the
environment the worker starts with) and the main process's HTTP server sums the files at
scrape time.
"""

import logging
import shutil
import time
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_init
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from shared.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Seconds: a colour transfer takes a fraction of one, a long PDF chunk with OCR minutes.
_DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

TASK_DURATION = Histogram("conveyor_worker_task_duration_seconds",
                          "Time a task ran in a worker process, by task name", ["task"],
                          buckets=_DURATION_BUCKETS)
TASK_RETRIES = Counter("conveyor_worker_task_retries_total",
                       "Chunk attempts that failed transiently and were queued again", ["task"])
REDELIVERIES_SKIPPED = Counter(
    "conveyor_worker_redeliveries_skipped_total",
    "Deliveries dropped at claim: the attempt was already claimed or the chunk or job ended",
    ["task"])

# run_chunk's outcome words (shared/jobs/chunk_runner.py), which every chunk task returns.
_RETRYING, _SKIPPED = "retrying", "skipped"
# Start times of the tasks running in this process, by task id.
_started: dict[str, float] = {}


def enable_worker_metrics(settings: Settings | None = None) -> None:
    """Record task metrics and serve them once the worker starts, if METRICS_PORT is set."""
    settings = settings or get_settings()
    if settings.metrics_port is None:
        return
    if settings.prometheus_multiproc_dir is None:
        # Without it every pool process would count alone and the server would see nothing.
        raise RuntimeError("METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR (a writable, "
                           "empty directory) for the pool processes' metrics")
    # dispatch_uid: the all-in-one worker (services/workers/all.py) must connect them once.
    task_prerun.connect(_task_started, weak=False, dispatch_uid="conveyor-metrics-prerun")
    task_postrun.connect(_task_ended, weak=False, dispatch_uid="conveyor-metrics-postrun")
    worker_init.connect(lambda **_: _serve(settings), weak=False,
                        dispatch_uid="conveyor-metrics-serve")


def _serve(settings: Settings) -> None:
    """In the main process, before the pool forks: start from an empty directory (files
    left by an earlier run would add its counts) and serve the sum of the pool's files."""
    directory = settings.prometheus_multiproc_dir
    assert directory is not None and settings.metrics_port is not None
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    start_http_server(settings.metrics_port, registry=registry)
    log.info("metrics on port %s", settings.metrics_port)


def _task_started(*, task_id: str, **_: Any) -> None:
    _started[task_id] = time.monotonic()


def _task_ended(*, task_id: str, task: Any, retval: Any = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        TASK_DURATION.labels(task=task.name).observe(time.monotonic() - started)
    if retval == _RETRYING:
        TASK_RETRIES.labels(task=task.name).inc()
    elif retval == _SKIPPED:
        REDELIVERIES_SKIPPED.labels(task=task.name).inc()
