"""/metrics of the job service.

No service token: the job service is internal (never published; compose only exposes its
port on the private network) and the page holds totals by kind and queue, nothing about a
user. Prometheus scrapes it without a secret to carry.
"""

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from services.jobs.metrics.collector import DatabaseCollector

REGISTRY = CollectorRegistry()
REGISTRY.register(DatabaseCollector())

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus text of jobs, queues, durations, credits and the outbox, read now."""
    # The collector queries the database synchronously: off the event loop.
    page = await run_in_threadpool(generate_latest, REGISTRY)
    return Response(page, media_type=CONTENT_TYPE_LATEST)
