"""The gateway's request metrics and their /metrics page.

Requests are labelled by route template (`/api/v1/jobs/{job_id}`), never by the raw path:
ids in labels would make a series per job and per user. /metrics needs no token: it holds
only method, route template and status counts, nothing about any user; where the gateway
faces the internet, the proxy in front should keep /metrics to the internal network.
"""

import time

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Our own registry: the page shows only conveyor_* metrics, not the client's process ones.
REGISTRY = CollectorRegistry()
REQUESTS = Counter("conveyor_http_requests_total", "Requests answered, by route template",
                   ["method", "route", "status"], registry=REGISTRY)
REQUEST_DURATION = Histogram("conveyor_http_request_duration_seconds",
                             "Time from a request's arrival to the end of its answer",
                             ["method", "route", "status"], registry=REGISTRY,
                             buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                      10, 30, 60))
# A path no route matched: one label for all of them, so scanners cannot add series.
UNMATCHED = "unmatched"

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus text of the gateway's request metrics."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request (WebSockets pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            labels = {"method": scope["method"], "route": route_template(scope),
                      "status": str(status)}
            REQUESTS.labels(**labels).inc()
            REQUEST_DURATION.labels(**labels).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's path template; the router leaves the route in the scope."""
    route: BaseRoute | None = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED
