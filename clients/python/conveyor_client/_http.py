"""A `Call` as httpx arguments, an answer as what the flow wants, and what the two
runners share about the event stream."""

from __future__ import annotations

from typing import Any

import httpx

from conveyor_client.errors import ConveyorConnectionError, error_from_response
from conveyor_client.models import JobEvent
from conveyor_client.steps import Call

USER_AGENT = "conveyor-client/0.1.0"
# The gateway pings an open stream every 15 s: a read that waits longer than this has
# lost its connection, and the stream is opened again after the last event seen.
STREAM_READ_TIMEOUT_SECONDS = 45.0
# Events after which the job's progress may have moved: a status change, a chunk that
# ended, a step of a single-chunk job.
PROGRESS_EVENT_TYPES = frozenset({"status", "chunk", "step"})


def auth_headers(token: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def request_arguments(call: Call, *, base_url: str, token: str | None) -> dict[str, Any]:
    headers = auth_headers(token)
    if call.idempotency_key:
        headers["Idempotency-Key"] = call.idempotency_key
    files = None
    if call.files:
        files = {field: (upload.filename, upload.content, upload.content_type)
                 for field, upload in call.files.items()}
    return {"method": call.method, "url": base_url + call.path, "params": call.params,
            "json": call.json, "data": call.form, "files": files, "headers": headers,
            "follow_redirects": call.follow_redirects}


def decoded_answer(call: Call, response: httpx.Response) -> Any:
    """The answer's body as the call reads it; a ConveyorError for a 4xx or 5xx."""
    if response.is_error:
        raise error_from_response(response)
    if call.read == "bytes":
        return response.content
    if call.read == "text":
        return response.text
    body = response.json()
    return body["data"] if call.enveloped else body


def connection_error(exc: httpx.TransportError) -> ConveyorConnectionError:
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    return ConveyorConnectionError(f"{type(exc).__name__}: {exc}", request_sent=sent)


def stream_headers(token: str | None, last_event_id: int | None) -> dict[str, str]:
    headers = auth_headers(token)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    return headers


def stream_timeout(base: httpx.Timeout, remaining: float | None) -> httpx.Timeout:
    """The client's timeouts, with a read timeout that outlasts the pings and ends no
    later than the wait it serves."""
    read = STREAM_READ_TIMEOUT_SECONDS if remaining is None else max(
        0.1, min(STREAM_READ_TIMEOUT_SECONDS, remaining))
    return httpx.Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)


def event_of(data: str) -> JobEvent | None:
    """The event an SSE message carries (None for one without data)."""
    return JobEvent.model_validate_json(data) if data else None
