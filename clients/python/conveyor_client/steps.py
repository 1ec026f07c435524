"""What an operation asks its runner to do, one step at a time.

Every flow of the API (confirm then start, submit then wait, upload then transfer) is
written once, as a generator of steps: it yields a `Call` and is sent back the decoded
answer, yields a `Pause` to wait before polling again, or a `FollowJob` to have the job
followed over its event stream. The synchronous and the asynchronous runner perform the
steps each in its own way, so neither client repeats the flows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from conveyor_client.progress import ProgressSnapshot

T = TypeVar("T")
Reading = Literal["json", "text", "bytes"]
ProgressCallback = Callable[["ProgressSnapshot"], None]
# Methods that change nothing, or the same thing however often they arrive.
_REPEATABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


@dataclass(frozen=True, kw_only=True)
class Upload:
    """A file to send as a multipart part, read once: a retry sends the same bytes."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True, kw_only=True)
class Call:
    """One HTTP request. `idempotency_key` is generated once per logical call and sent
    again with each retry of it. `replay_safe`: the gateway answers a repeat with what the
    first one did (it honours the key), so the request may be sent again after an answer
    that got lost."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    form: Mapping[str, str] | None = None
    files: Mapping[str, Upload] | None = None
    idempotency_key: str | None = None
    replay_safe: bool = False
    read: Reading = "json"
    enveloped: bool = False  # API v3: the answer's `data` is what the caller wants
    follow_redirects: bool = False

    @property
    def may_resend(self) -> bool:
        """Whether sending it again after a lost answer can change nothing twice."""
        return self.replay_safe or self.method in _REPEATABLE_METHODS


def get(path: str, **params: Any) -> Call:
    return Call(method="GET", path=path, params={k: v for k, v in params.items()
                                                 if v is not None} or None)


def create(path: str, *, json: Any = None, form: Mapping[str, str] | None = None,
           files: Mapping[str, Upload] | None = None, key_honoured: bool = False,
           idempotency_key: str | None = None, enveloped: bool = False) -> Call:
    """A POST that makes something. It always carries an Idempotency-Key; `key_honoured`
    says the gateway answers a repeated key with the first answer (it may then be resent
    when an answer is lost): true of every route that creates a job, not of the creates
    of accounts, projects and uploads."""
    return Call(method="POST", path=path, json=json, form=form, files=files,
                idempotency_key=idempotency_key or str(uuid.uuid4()),
                replay_safe=key_honoured, enveloped=enveloped)


@dataclass(frozen=True)
class Pause:
    """Wait this long before the next step (between two polls)."""

    seconds: float


@dataclass(frozen=True, kw_only=True)
class FollowJob:
    """Follow a job (by its integer id) over its event stream until it has ended; the
    runner sends back its last status document (a `Job`)."""

    job_id: int
    on_progress: ProgressCallback | None = None
    timeout: float | None = None


Step = Call | Pause | FollowJob
Operation = Generator[Step, Any, T]
