"""Stable error codes. Services raise `ConveyorError`; each API renders it in its own shape."""

from dataclasses import dataclass
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class _Code:
    http_status: int
    retryable: bool


class ErrorCode(Enum):
    INPUT_INVALID = _Code(400, False)
    UNSUPPORTED_MEDIA_TYPE = _Code(415, False)
    INPUT_TOO_LARGE = _Code(413, False)
    PASSWORD_PROTECTED = _Code(400, False)
    TOO_MANY_PAGES = _Code(400, False)
    NOT_FOUND = _Code(404, False)
    INVALID_STATE = _Code(400, False)
    CONFLICT = _Code(409, False)
    IDEMPOTENCY_CONFLICT = _Code(409, False)
    INSUFFICIENT_CREDITS = _Code(402, False)
    UNAUTHORIZED = _Code(401, False)
    FORBIDDEN = _Code(403, False)
    RATE_LIMITED = _Code(429, True)
    TIMEOUT = _Code(504, True)
    WORKER_LOST = _Code(500, True)
    UPSTREAM_UNAVAILABLE = _Code(503, True)
    PROCESSING_FAILED = _Code(422, False)
    INTERNAL = _Code(500, True)

    @property
    def http_status(self) -> int:
        return self.value.http_status

    @property
    def retryable(self) -> bool:
        return self.value.retryable


class ConveyorError(Exception):
    """A failure with a stable code and a message a user can act on."""

    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"error_type": self.code.name, "detail": self.message,
                "retryable": self.code.retryable, **self.extra}


class TransientError(Exception):
    """A failure worth retrying later (network blip, upstream 5xx, broker hiccup)."""
