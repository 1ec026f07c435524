"""The request id of every HTTP request, in the log context and in the answer.

A plain ASGI middleware rather than `BaseHTTPMiddleware`: the context it binds must still
be there when uvicorn writes the access line (while the answer is sent), and it adds no
task per request.
"""

from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.logging import REQUEST_ID_HEADER, bind, request_id_from, unbind


class RequestContext:
    """Binds `request_id` (the caller's `X-Request-ID`, or a new one) for the request's
    log lines and echoes it in the answer's `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER))

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = bind(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            unbind(token)


async def bind_path_ids(connection: HTTPConnection) -> None:
    """A route dependency: the `job_id` and `user_id` of the path join the log context.
    An HTTPConnection, not a Request: the app-wide dependency also runs for /ws.

    Async on purpose: a sync dependency runs in a worker thread, whose context changes
    never reach the route."""
    path = connection.path_params
    bind(job_id=path.get("job_id") or path.get("task_id"), user_id=path.get("user_id"))
