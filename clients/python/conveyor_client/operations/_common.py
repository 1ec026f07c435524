"""What the flows share: reading the file to upload, polling until work has ended, and
turning a failed end into an error."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from conveyor_client.errors import JobFailed, WaitTimeout
from conveyor_client.progress import Deadline, ProgressReporter, ProgressSnapshot
from conveyor_client.steps import Call, Operation, Pause, ProgressCallback, Upload

FileInput = str | os.PathLike[str] | bytes | IO[bytes]
# Polling starts quick (short jobs end in about a second) and slows to this.
_FIRST_POLL_SECONDS = 0.2
_SLOWEST_POLL_SECONDS = 2.0


class _Ending(Protocol):
    @property
    def ended(self) -> bool: ...


Ending = TypeVar("Ending", bound=_Ending)


def load_upload(source: FileInput, *, filename: str | None, default_name: str) -> Upload:
    """The file's bytes, name and type. Read whole, once: a retried request and the
    second request of a flow (confirm, then start) send the same bytes."""
    if isinstance(source, bytes):
        content, name = source, filename or default_name
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        content, name = path.read_bytes(), filename or path.name
    else:
        content = source.read()
        name = filename or Path(str(getattr(source, "name", "") or default_name)).name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Upload(filename=name, content=content, content_type=content_type)


def poll_until_ended(call: Callable[[], Call], *, parse: Callable[[Any], Ending],
                     snapshot: Callable[[Ending], ProgressSnapshot],
                     on_progress: ProgressCallback | None, timeout: float | None,
                     work_id: int | str) -> Operation[Ending]:
    """Ask `call()` for the work's state until it has ended, a little less often each
    time, reporting its progress; its last state."""
    reporter, deadline = ProgressReporter(on_progress), Deadline(timeout)
    interval = _FIRST_POLL_SECONDS
    while True:
        current = parse((yield call()))
        reporter.report(snapshot(current))
        if current.ended:
            return current
        remaining = deadline.remaining()
        if remaining is not None and remaining <= 0:
            raise WaitTimeout(f"{work_id} has not ended within {timeout} s", job_id=work_id)
        yield Pause(interval if remaining is None else min(interval, remaining))
        interval = min(interval * 1.5, _SLOWEST_POLL_SECONDS)


def raise_if_failed(work: Any, *, succeeded: bool, what: str) -> None:
    """JobFailed for work that ended other than well, with the server's error code."""
    if succeeded:
        return
    error_type = getattr(work, "error_type", None)
    cancelled = not error_type and _status_of(work) in {"cancelled", "REVOKED"}
    raise JobFailed(f"{what} ended {_status_of(work)}: "
                    f"{getattr(work, 'error', None) or 'no error was given'}",
                    job=work, error_type="CANCELLED" if cancelled else error_type,
                    retryable=getattr(work, "retryable", None))


def _status_of(work: Any) -> str:
    return str(getattr(work, "state", None) or getattr(work, "status", "unknown"))
