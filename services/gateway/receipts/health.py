"""GET /api/v3/receipts/health: measured by asking the workers, with a short timeout."""

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from services.gateway.receipts.schemas import ReceiptHealth
from services.gateway.system.probe import probe_app
from shared.celery_app import Queue, TaskName
from shared.db import utcnow
from shared.settings import get_settings

INSPECT_TIMEOUT_SECONDS = 1.0
_CACHE_SECONDS = 2.0
_last: tuple[float, ReceiptHealth] | None = None


def receipt_health() -> ReceiptHealth:
    """Cached briefly: each call is a broadcast to every worker."""
    global _last
    now = time.monotonic()
    if _last is None or now - _last[0] > _CACHE_SECONDS:
        _last = (now, _measure())
    return _last[1]


def _measure() -> ReceiptHealth:
    if get_settings().is_embedded:  # the SQLite broker has no broadcast to ask workers with
        return ReceiptHealth(status="unknown", timestamp=utcnow(), active_receipt_tasks=None,
                             workers_available=None, tasks_registered=None, workers=[])
    inspect = probe_app().control.inspect(timeout=INSPECT_TIMEOUT_SECONDS)
    # The three broadcasts wait out the same timeout: ask them side by side.
    with ThreadPoolExecutor(max_workers=3) as pool:
        queues, registered, active = (pool.submit(_ask, call) for call in (
            inspect.active_queues, inspect.registered, inspect.active))
        queues_by_worker, registered_by_worker = queues.result(), registered.result()
        active_by_worker = active.result()
    workers = sorted(name for name, worker_queues in queues_by_worker.items()
                     if any(q.get("name") == Queue.OCR.value for q in worker_queues))
    task = TaskName.OCR_PROCESS_RECEIPT.value
    registered_ok = any(task in registered_by_worker.get(name, []) for name in workers)
    running = sum(1 for name in workers for t in active_by_worker.get(name, [])
                  if t.get("name") == task)
    healthy = bool(workers) and registered_ok
    return ReceiptHealth(status="healthy" if healthy else "unhealthy", timestamp=utcnow(),
                         active_receipt_tasks=running, workers_available=bool(workers),
                         tasks_registered=registered_ok, workers=workers)


def _ask(call: Any) -> dict[str, Any]:
    try:
        return call() or {}
    except Exception:  # no broadcast on this transport (the embedded broker), or no broker
        return {}
