"""Liveness and readiness."""

import asyncio
import time
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text

from services.gateway.system.probe import probe_app
from shared.celery_app import Queue
from shared.db import session_scope
from shared.errors import ErrorCode, error_body

router = APIRouter(tags=["system"])
_INSPECT_TIMEOUT = 1.0


class Liveness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    """`workers`: live workers per queue, or "unknown" where the broker cannot be asked
    (the embedded default)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ready", "database": "ok", "broker": "ok",
         "workers": {"pdf": 2, "ocr": 1, "color": 1, "crawl": 1}}]})

    status: str
    database: str
    broker: str
    workers: dict[str, int] | str


class NotReady(Readiness):
    """Readiness refused: an error answer like any other, so coded."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "unavailable", "database": "ok", "broker": "error: OperationalError",
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
    503: {"model": NotReady, "description": "The database or the broker is unreachable."}})
async def ready() -> JSONResponse:
    """Readiness: database and broker reachable, and live workers per queue."""
    database, (broker, workers) = await asyncio.gather(
        run_in_threadpool(_check_database), run_in_threadpool(_check_broker_and_workers))
    ok = database == "ok" and broker == "ok"
    body: dict[str, Any] = {"status": "ready" if ok else "unavailable", "database": database,
                            "broker": broker, "workers": workers}
    if not ok:  # an error answer like any other: coded
        body.update(error_body(ErrorCode.UPSTREAM_UNAVAILABLE, "the database or the broker "
                               "is unreachable"))
    return JSONResponse(body, status_code=200 if ok else 503)


def _check_database() -> str:
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


_CACHE_SECONDS = 5.0
_last_check: tuple[float, tuple[str, dict[str, int] | str]] | None = None


def _check_broker_and_workers() -> tuple[str, dict[str, int] | str]:
    """Cached for a few seconds: an unauthenticated route must not fan out to every worker
    on each call."""
    global _last_check
    now = time.monotonic()
    if _last_check is None or now - _last_check[0] > _CACHE_SECONDS:
        _last_check = (now, _inspect_broker_and_workers())
    return _last_check[1]


def _inspect_broker_and_workers() -> tuple[str, dict[str, int] | str]:
    app = probe_app()
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"error: {type(exc).__name__}", {}
    try:
        replies = app.control.inspect(timeout=_INSPECT_TIMEOUT).active_queues() or {}
    except Exception:  # transports without broadcast (the embedded SQLite broker)
        return "ok", "unknown"
    counts = {q.value: 0 for q in Queue}
    for queues in replies.values():
        for name in {q["name"] for q in queues}:
            counts[name] = counts.get(name, 0) + 1
    return "ok", counts
