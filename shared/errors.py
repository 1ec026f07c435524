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
    METHOD_NOT_ALLOWED = auto()
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
    # The address policy refused every URL the work was to start from (a crawl's seeds).
    ADDRESS_REFUSED = auto()
    # A stored file the work needs is no longer in storage (retention removed it).
    INPUT_MISSING = auto()
    INTERNAL = auto()

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self]

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE

    @classmethod
    def for_http_status(cls, status: int) -> "ErrorCode":
        """The code of an error the web framework raised with a bare HTTP status (an unknown
        route, a wrong method): so that every answer names its error_type."""
        return _FRAMEWORK_STATUS.get(status, cls.INTERNAL if status >= 500 else
                                     cls.INPUT_INVALID)


_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INPUT_INVALID: 400, ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.INPUT_TOO_LARGE: 413, ErrorCode.PASSWORD_PROTECTED: 400,
    ErrorCode.TOO_MANY_PAGES: 400, ErrorCode.NOT_FOUND: 404, ErrorCode.INVALID_STATE: 400,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409, ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.INSUFFICIENT_CREDITS: 402, ErrorCode.UNAUTHORIZED: 401, ErrorCode.FORBIDDEN: 403,
    ErrorCode.RATE_LIMITED: 429, ErrorCode.TIMEOUT: 504, ErrorCode.WORKER_LOST: 500,
    ErrorCode.UPSTREAM_UNAVAILABLE: 503, ErrorCode.PROCESSING_FAILED: 422,
    ErrorCode.ADDRESS_REFUSED: 422, ErrorCode.INPUT_MISSING: 410,
    ErrorCode.INTERNAL: 500,
}
# What a bare status from the framework (or Starlette's security helpers) stands for.
_FRAMEWORK_STATUS: dict[int, ErrorCode] = {
    401: ErrorCode.UNAUTHORIZED, 403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED, 409: ErrorCode.CONFLICT, 413: ErrorCode.INPUT_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE, 429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.UPSTREAM_UNAVAILABLE, 504: ErrorCode.TIMEOUT,
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
        return error_body(self.code, self.message, **self.extra)


def error_body(code: ErrorCode, detail: Any, **extra: Any) -> dict[str, Any]:
    """The v1 error document: `detail` is a message, or FastAPI's list of invalid fields."""
    return {"detail": detail, "error_type": code.name, "retryable": code.retryable, **extra}


# What a request carried that its column cannot hold, so the database refused it (a number
# past the column's range, a string past its length or with a NUL character): bad input,
# answered as such by every service, never a 500.
UNSTORABLE_VALUE = ("a value cannot be stored in its field: a number out of range, or a "
                    "text too long or containing a NUL character")


def too_large(max_bytes: int, *, subject: str = "the file") -> ConveyorError:
    """413 stating the limit as the docs do ("10 MB"), not as a count of bytes."""
    return ConveyorError(ErrorCode.INPUT_TOO_LARGE,
                         f"{subject} is larger than {size_in_words(max_bytes)}")


def size_in_words(size: int) -> str:
    """Binary units, written MB and KB as the README and the seeds write them."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


class TransientError(Exception):
    """A failure worth retrying later (network blip, upstream 5xx, broker hiccup)."""
