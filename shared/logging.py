"""One logging setup for every process, and the context every line of a request or task
carries (`request_id`, `job_id`, `user_id`, `chunk`, `attempt`).

The context lives in contextvars, so it follows a request through its awaits and a task
through its calls without being passed around: the gateway's middleware binds the request
id, the job service binds the request and the job, the chunk runner binds the chunk. A
filter on the handler copies what is known onto every record, whichever library logged it.
`LOG_FORMAT=json` writes one JSON object a line (python-json-logger) for log collectors;
the default is readable text.
"""

import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from shared.settings import get_settings

CONTEXT_FIELDS = ("request_id", "job_id", "user_id", "chunk", "attempt")
REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is echoed into headers and logs: only a short, plain token is taken as is.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_context: ContextVar[Mapping[str, Any]] = ContextVar("conveyor_log_context",
                                                     default=MappingProxyType({}))
# Loggers that report every task a worker receives and ends, and every beat send.
_CELERY_ROUTINE_LOGGERS = frozenset({"celery.app.trace", "celery.worker.strategy",
                                     "celery.worker.request",  # expired runs discarded
                                     "celery.beat"})


def bind(**fields: Any) -> Token[Mapping[str, Any]]:
    """Add fields to the current context (None values are dropped); `unbind` the token."""
    known = {name: value for name, value in fields.items() if value is not None}
    return _context.set({**_context.get(), **known})


def unbind(token: Token[Mapping[str, Any]]) -> None:
    _context.reset(token)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def current_context() -> Mapping[str, Any]:
    return _context.get()


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a plain token, otherwise a new one."""
    if header and _ACCEPTABLE_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


class _ContextFilter(logging.Filter):
    """Puts the current context on the record: as fields (`log_context`) for JSON, and as
    `key=value` text (`context`) for the readable format."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = {name: _context.get()[name] for name in CONTEXT_FIELDS
                  if name in _context.get()}
        record.log_context = fields
        record.context = "".join(f" {name}={value}" for name, value in fields.items())
        return True


class _QuietRoutine(logging.Filter):
    """Drops Celery's INFO lines about the periodic tasks (received, succeeded, sent by
    beat): every 2.5 s they drowned the lines that matter. The tasks log themselves, at
    INFO, when they did something."""

    def __init__(self, task_names: Iterable[str]) -> None:
        super().__init__()
        self._names = frozenset(task_names)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or record.name not in _CELERY_ROUTINE_LOGGERS:
            return True
        data = getattr(record, "data", None)
        if isinstance(data, dict):
            return data.get("name") not in self._names
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(arg in self._names for arg in args)


class _RedactTokens(logging.Filter):
    """Hides a bearer token passed in a URL: browsers can only authenticate a WebSocket
    with `/ws?token=<JWT>`, and Uvicorn logs each socket's path with its query."""

    _TOKEN = re.compile(r"([?&](?:access_)?token=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(self._TOKEN.sub(r"\1[redacted]", arg) if isinstance(arg, str)
                                else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = self._TOKEN.sub(r"\1[redacted]", record.msg)
        return True


class _Json(JsonFormatter):
    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.update(getattr(record, "log_context", {}))


def _formatter(service: str, log_format: str) -> logging.Formatter:
    if log_format == "json":
        return _Json("%(asctime)s %(levelname)s %(name)s %(message)s",
                     rename_fields={"asctime": "time", "levelname": "level",
                                    "name": "logger"},
                     static_fields={"service": service},
                     reserved_attrs=[*RESERVED_ATTRS, "log_context", "context"])
    return logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s%(context)s: "
                             "%(message)s")


def configure_logging(service: str, *, quiet_tasks: Iterable[str] = ()) -> None:
    """Log to stderr in LOG_FORMAT; `quiet_tasks`: periodic task names whose routine
    Celery lines are dropped."""
    settings = get_settings()
    handler = logging.StreamHandler()
    handler.setFormatter(_formatter(service, settings.log_format))
    handler.addFilter(_ContextFilter())
    handler.addFilter(_RedactTokens())
    if quiet_tasks:
        handler.addFilter(_QuietRoutine(quiet_tasks))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])
    # One line per internal HTTP call drowns the interesting lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Uvicorn's own handlers would write its lines (the access log among them) in its
    # format, without the request's context: send them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
