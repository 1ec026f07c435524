"""Stable error codes. Services raise `ConveyorError`; each API renders it in its own shape."""

from enum import StrEnum, auto
from typing import Any


class ErrorCode(StrEnum):
    INPUT_INVALID = auto()
    UNSUPPORTED_MEDIA_TYPE = auto()
    INPUT_TOO_LARGE = auto()
    PASSWORD_PROTECTED = auto()
    TOO_MANY_PAGES = auto()
    NOT_FOUND = auto()
    INVALID_STATE = auto()
    CONFLICT = auto()
    IDEMPOTENCY_CONFLICT = auto()
    INSUFFICIENT_CREDITS = auto()
    UNAUTHORIZED = auto()
    FORBIDDEN = auto()
    RATE_LIMITED = auto()
    TIMEOUT = auto()
    WORKER_LOST = auto()
    UPSTREAM_UNAVAILABLE = auto()
    PROCESSING_FAILED = auto()
    INTERNAL = auto()

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self]

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE


_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INPUT_INVALID: 400, ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.INPUT_TOO_LARGE: 413, ErrorCode.PASSWORD_PROTECTED: 400,
    ErrorCode.TOO_MANY_PAGES: 400, ErrorCode.NOT_FOUND: 404, ErrorCode.INVALID_STATE: 400,
    ErrorCode.CONFLICT: 409, ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.INSUFFICIENT_CREDITS: 402, ErrorCode.UNAUTHORIZED: 401, ErrorCode.FORBIDDEN: 403,
    ErrorCode.RATE_LIMITED: 429, ErrorCode.TIMEOUT: 504, ErrorCode.WORKER_LOST: 500,
    ErrorCode.UPSTREAM_UNAVAILABLE: 503, ErrorCode.PROCESSING_FAILED: 422,
    ErrorCode.INTERNAL: 500,
}
_RETRYABLE = frozenset({ErrorCode.RATE_LIMITED, ErrorCode.TIMEOUT, ErrorCode.WORKER_LOST,
                        ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.INTERNAL})


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
