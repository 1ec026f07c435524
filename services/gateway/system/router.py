"""Liveness and readiness."""

import asyncio
import time
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from services.gateway.system.probe import probe_app
from shared import storage
from shared.celery_app import Queue
from shared.db import session_scope
from shared.errors import ErrorCode, error_body
from shared.settings import get_settings
from shared.worker_heartbeat import live_workers_per_queue

router = APIRouter(tags=["system"])
_INSPECT_TIMEOUT = 1.0


class Liveness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    """`status` is `ready`, or `degraded` while a queue has no live worker (its jobs wait
    until one comes). `workers`: live workers per queue, counted by asking them over the
    broker (`workers_seen_by: broker`) or, where the broker cannot broadcast (the embedded
    default), by their heartbeats in the database (`database_heartbeats`)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ready", "database": "ok", "broker": "ok", "storage": "ok",
         "workers": {"pdf": 2, "ocr": 1, "color": 1, "crawl": 1, "maintenance": 1},
         "workers_seen_by": "broker"},
        {"status": "degraded", "database": "ok", "broker": "ok", "storage": "ok",
         "workers": {"pdf": 1, "ocr": 0, "color": 1, "crawl": 1, "maintenance": 1},
         "workers_seen_by": "database_heartbeats", "queues_without_workers": ["ocr"]}]})

    status: str = Field(description="ready, or degraded while a queue has no worker")
    database: str
    broker: str
    storage: str = Field(default="ok", description="the object store (STORAGE_BACKEND): ok, "
                                                   "or the error that kept it from answering")
    workers: dict[str, int] | str
    workers_seen_by: str | None = Field(
        default=None, description="broker (asked over it) or database_heartbeats")
    queues_without_workers: list[str] = Field(default_factory=list)


class NotReady(Readiness):
    """Readiness refused: an error answer like any other, so coded."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "unavailable", "database": "ok", "broker": "error: OperationalError",
         "storage": "ok",
         "workers": {}, "detail": "the database or the broker is unreachable",
         "error_type": "UPSTREAM_UNAVAILABLE", "retryable": True}]})

    detail: str
    error_type: str
    retryable: bool


@router.get("/health")
async def health() -> Liveness:
    """Liveness: the gateway process answers."""
    return Liveness(status="ok")


@router.get("/health/ready", response_model=Readiness, responses={
    503: {"model": NotReady, "description": "The database, the broker or the object store "
                                            "is unreachable."}})
async def ready() -> JSONResponse:
    """Readiness: database, broker and object store reachable, and live workers per queue
    (degraded, still 200, while a queue has none)."""
    database, (broker, workers, seen_by), stored = await asyncio.gather(
        run_in_threadpool(_check_database), run_in_threadpool(_check_broker_and_workers),
        run_in_threadpool(_check_storage))
    ok = database == broker == stored == "ok"
    idle = sorted(q for q, count in workers.items() if count == 0) \
        if isinstance(workers, dict) else []
    body: dict[str, Any] = {"status": "degraded" if idle else "ready", "database": database,
                            "broker": broker, "storage": stored, "workers": workers,
                            "workers_seen_by": seen_by, "queues_without_workers": idle}
    if not ok:  # an error answer like any other: coded
        body["status"] = "unavailable"
        body.update(error_body(ErrorCode.UPSTREAM_UNAVAILABLE, "the database, the broker or "
                               "the object store is unreachable"))
    return JSONResponse(body, status_code=200 if ok else 503)


def _check_database() -> str:
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_storage() -> str:
    try:
        storage.backend().check()
    except storage.StorageUnavailable as exc:
        return f"error: {exc.message}"
    return "ok"


_CACHE_SECONDS = 5.0
# (broker, workers per queue or "unknown", how they were counted)
BrokerCheck = tuple[str, dict[str, int] | str, str | None]
_last_check: tuple[float, BrokerCheck] | None = None


def _check_broker_and_workers() -> BrokerCheck:
    """Cached for a few seconds: an unauthenticated route must not fan out to every worker
    on each call."""
    global _last_check
    now = time.monotonic()
    if _last_check is None or now - _last_check[0] > _CACHE_SECONDS:
        _last_check = (now, _inspect_broker_and_workers())
    return _last_check[1]


def _inspect_broker_and_workers() -> BrokerCheck:
    app = probe_app()
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"error: {type(exc).__name__}", {}, None
    if get_settings().is_embedded:  # its SQLite transport takes a broadcast, answers none
        return "ok", *_workers_by_heartbeats()
    try:
        replies = app.control.inspect(timeout=_INSPECT_TIMEOUT).active_queues() or {}
    except Exception:  # transports without broadcast (the embedded SQLite broker)
        return "ok", *_workers_by_heartbeats()
    counts = {q.value: 0 for q in Queue}
    for queues in replies.values():
        for name in {q["name"] for q in queues}:
            counts[name] = counts.get(name, 0) + 1
    return "ok", counts, "broker"


def _workers_by_heartbeats() -> tuple[dict[str, int] | str, str | None]:
    try:
        with session_scope() as session:
            counts = live_workers_per_queue(session, queues=[q.value for q in Queue])
    except Exception:  # the database check reports the database's state
        return "unknown", None
    return counts, "database_heartbeats"
