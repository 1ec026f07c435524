"""One exception type for everything that can go wrong, whichever API version answered.

API v1 answers `{"detail", "error_type", "retryable"}`; API v3 its envelope
`{"status_code", "message", "data": {"error_type", "retryable", ...}}`. Both become a
`ConveyorError` with the same attributes, so callers branch on `error_type` alone.
"""

from __future__ import annotations

from typing import Any

import httpx

# The code of an answer that carries none (a proxy's 502 page, say), by HTTP status.
_CODE_BY_STATUS = {400: "INPUT_INVALID", 401: "UNAUTHORIZED", 402: "INSUFFICIENT_CREDITS",
                   403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
                   409: "CONFLICT", 410: "INPUT_MISSING", 413: "INPUT_TOO_LARGE",
                   415: "UNSUPPORTED_MEDIA_TYPE", 422: "INPUT_INVALID", 429: "RATE_LIMITED",
                   503: "UPSTREAM_UNAVAILABLE", 504: "TIMEOUT"}
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class ConveyorError(Exception):
    """A refused request, a failed job or an unreachable server.

    `status` is the HTTP status (None when no answer came); `error_type` the server's
    stable code (`INSUFFICIENT_CREDITS`, `RATE_LIMITED`, ...); `retryable` whether the
    same request may succeed later; `detail` the message in words; `body` the decoded
    answer, for the fields some errors add (`required_credits`, `retry_after_seconds`).
    """

    def __init__(self, detail: str, *, status: int | None, error_type: str, retryable: bool,
                 body: dict[str, Any] | None = None,
                 field_errors: list[dict[str, Any]] | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.error_type = error_type
        self.retryable = retryable
        self.body = body or {}
        self.field_errors = field_errors or []  # a 422's invalid fields
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no answer"
        return f"{self.error_type} ({where}): {self.detail}"


class ConveyorConnectionError(ConveyorError):
    """The server could not be reached, or the connection broke before its answer.
    `request_sent` is False when it failed to connect: the server saw nothing."""

    def __init__(self, detail: str, *, request_sent: bool = True) -> None:
        super().__init__(detail, status=None, error_type="NETWORK_ERROR", retryable=True)
        self.request_sent = request_sent


class JobFailed(ConveyorError):
    """A job that was waited for ended failed or cancelled; `job` is its last document."""

    def __init__(self, detail: str, *, job: Any, error_type: str | None,
                 retryable: bool | None) -> None:
        super().__init__(detail, status=None, error_type=error_type or "PROCESSING_FAILED",
                         retryable=bool(retryable))
        self.job = job


class WaitTimeout(ConveyorError):
    """A wait ran out of time while the job went on; wait again or cancel it."""

    def __init__(self, detail: str, *, job_id: int | str) -> None:
        super().__init__(detail, status=None, error_type="WAIT_TIMEOUT", retryable=True)
        self.job_id = job_id


def error_from_response(response: httpx.Response) -> ConveyorError:
    """The error an answer of status 4xx or 5xx stands for, in either API's shape."""
    body = _json_object(response)
    data = body.get("data")
    if "status_code" in body and isinstance(data, dict):  # the v3 envelope
        fields, detail = data, body.get("message")
        field_errors = data.get("errors")
    else:
        fields, detail = body, body.get("detail")
        field_errors = detail if isinstance(detail, list) else None
    status = response.status_code
    return ConveyorError(
        _detail_in_words(detail, response), status=status,
        error_type=str(fields.get("error_type") or _CODE_BY_STATUS.get(status, "INTERNAL")),
        retryable=bool(fields.get("retryable", status in _RETRYABLE_STATUSES)), body=body,
        field_errors=field_errors if isinstance(field_errors, list) else None,
        retry_after=retry_after_seconds(response))


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (the gateway sends whole seconds, never a date)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail_in_words(detail: Any, response: httpx.Response) -> str:
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list):  # a 422: where each invalid field is and what is wrong
        return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                         for e in detail if isinstance(e, dict)) or "invalid request"
    return response.text[:200] or response.reason_phrase or f"HTTP {response.status_code}"
