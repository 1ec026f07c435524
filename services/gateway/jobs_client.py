"""The gateway's HTTP client for the internal job service (service-token authenticated).

One method for each thing the gateway asks of it, each answering with a model of
`shared.jobs.contract`: the job service's routes are declared with the same models.

The hop runs on aiohttp's client: every status poll and every job created crosses it,
and httpx's AsyncClient spent 0.7 ms of CPU on a request where aiohttp spends 0.16
(the same requests to one local server, in one run; bench/RESULTS.md, session 16)."""

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared.errors import ConveyorError, ErrorCode
from shared.jobs import contract
from shared.jobs.contract import JobView
from shared.jobs.models import JobKind, JobStatus
from shared.jobs.states import TERMINAL, Vocabulary
from shared.logging import REQUEST_ID_HEADER, current_context

Model = TypeVar("Model", bound=BaseModel)
_EVENTS = TypeAdapter(list[contract.EventView])
_WAIT_SLICE_SECONDS = 10.0  # the job service takes up to 30
_MIN_POLL_SECONDS = 0.05


class JobsClient:
    def __init__(self, *, base_url: str, service_token: str, timeout: float) -> None:
        """Made inside the running event loop (the app's lifespan), as aiohttp wants."""
        # One wait stays well inside the request timeout.
        self._wait_slice = min(_WAIT_SLICE_SECONDS, timeout / 2)
        self._http = aiohttp.ClientSession(
            base_url=base_url, headers={"X-Service-Token": service_token},
            timeout=aiohttp.ClientTimeout(total=timeout),
            # Idle connections are dropped well before uvicorn's keep-alive timeout (5 s) on
            # the job service closes them: reusing one the server is closing at that moment
            # fails the request, and a create cannot simply be sent again.
            connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=2.0),
            # Our own JSON bodies and answers: no cookies, no proxies from the environment.
            cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, raise_for_status=False)

    async def aclose(self) -> None:
        await self._http.close()

    async def create(self, request: contract.CreateJob) -> JobView:
        """Create a job and reserve its estimate (and queue it, with `start`)."""
        return await self._call("POST", "/internal/jobs", JobView,
                                json=request.model_dump(mode="json"))

    async def get(self, user_id: int, job_id: int, *, with_result: bool = False) -> JobView:
        """The caller's job (404 for anyone else's); `with_result`: an ended job's result
        items (of the chunks that completed) in `result_items`."""
        return await self._call("GET", _job_path(user_id, job_id), JobView,
                                params=_with_result(with_result))

    async def get_by_uuid(self, user_id: int, job_uuid: str, *,
                          with_result: bool = False) -> JobView:
        """A job by its public id; anything that is not a UUID is simply not found."""
        try:
            canonical = str(uuid.UUID(job_uuid))
        except ValueError:
            raise ConveyorError(ErrorCode.NOT_FOUND, "Job not found") from None
        return await self._call("GET", f"/internal/users/{user_id}/jobs/by-uuid/{canonical}",
                                JobView, params=_with_result(with_result))

    async def list_jobs(self, user_id: int, *, statuses: Sequence[JobStatus] = (),
                   kind: JobKind | None = None, limit: int, offset: int) -> contract.JobPage:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if statuses:
            params["status"] = [status.value for status in statuses]
        if kind is not None:
            params["kind"] = kind.value
        return await self._call("GET", f"/internal/users/{user_id}/jobs", contract.JobPage,
                                params=params)

    async def start(self, user_id: int, job_id: int, *, params: dict[str, Any] | None = None,
                    expect_kind: JobKind | None = None,
                    expect_sha256: str | None = None) -> JobView:
        """Queue a pending job; the job service checks the expectations in the same
        transaction (400 wrong kind or not pending, 409 another file)."""
        request = contract.StartJob(params=params or {}, expect_kind=expect_kind,
                           expect_sha256=expect_sha256)
        return await self._call("POST", _job_path(user_id, job_id) + "/start", JobView,
                                json=request.model_dump(mode="json"))

    async def cancel(self, user_id: int, job_id: int, *,
                     vocabulary: Vocabulary = Vocabulary.V1_JOBS) -> contract.CancelView:
        """Cancel the job; a refusal names its status in `vocabulary`'s words."""
        return await self._call("POST", _job_path(user_id, job_id) + "/cancel",
                                contract.CancelView, params={"vocabulary": vocabulary.value})

    async def finalize(self, user_id: int, job_id: int) -> JobView:
        return await self._call("POST", _job_path(user_id, job_id) + "/finalize", JobView)

    async def result(self, user_id: int, job_id: int) -> contract.ResultItems:
        return await self._call("GET", _job_path(user_id, job_id) + "/result", contract.ResultItems)

    async def events(self, user_id: int, job_id: int, *, limit: int, offset: int = 0,
                     after_id: int = 0, wait_seconds: float = 0) -> list[contract.EventView]:
        """The job's events after `after_id`; `wait_seconds`: when there are none yet, the
        job service answers as soon as there are (woken by the transaction that logs them),
        or after that long with none."""
        return _EVENTS.validate_json(await self._send(
            "GET", _job_path(user_id, job_id) + "/events",
            params={"limit": limit, "offset": offset, "after_id": after_id,
                    "wait_seconds": min(wait_seconds, self._wait_slice)}))

    async def event_feed(self, user_id: int, *, after_id: int | None = None,
                         wait_seconds: float = 0) -> contract.EventFeed:
        """The user's status and step events after `after_id`; without it, none and the id
        to start from. `wait_seconds` as for `events`."""
        params: dict[str, Any] = {"wait_seconds": min(wait_seconds, self._wait_slice)}
        if after_id is not None:
            params["after_id"] = after_id
        return await self._call("GET", f"/internal/users/{user_id}/events", contract.EventFeed,
                                params=params)

    async def wait_until_finished(self, user_id: int, job_id: int, *, timeout: float,
                                  follow_url: str, with_result: bool = False) -> JobView:
        """Wait for the job to end; TIMEOUT (504) naming `follow_url` if it takes too long.
        `with_result`: the final view holds a completed job's `result_items`."""
        view = await self.view_once_ended(user_id, job_id, seconds=timeout,
                                          with_result=with_result)
        if view.status in TERMINAL:
            return view
        raise ConveyorError(ErrorCode.TIMEOUT, f"job {job_id} is still processing; follow it "
                            f"at GET {follow_url}", job_id=job_id, status_url=follow_url)

    async def view_once_ended(self, user_id: int, job_id: int, *, seconds: float,
                              with_result: bool = False) -> JobView:
        """The job's view as soon as it has ended, or as it is after `seconds`.

        The job service answers as soon as the job has ended (woken by the transaction
        that ended it), so there is no polling interval to wait out."""
        deadline = time.monotonic() + seconds
        while True:
            wait = round(max(0.0, min(deadline - time.monotonic(), self._wait_slice)), 3)
            params: dict[str, Any] = {"wait_seconds": wait, **_with_result(with_result)}
            asked = time.monotonic()
            view = await self._call("GET", _job_path(user_id, job_id), JobView, params=params)
            if view.status in TERMINAL or time.monotonic() >= deadline:
                return view
            if time.monotonic() - asked < wait / 2:  # a job service that did not wait
                await asyncio.sleep(min(_MIN_POLL_SECONDS, deadline - time.monotonic()))

    async def _call(self, method: str, path: str, answer: type[Model], *, json: Any = None,
                    params: dict[str, Any] | None = None) -> Model:
        return answer.model_validate_json(await self._send(method, path, json=json,
                                                           params=params))

    async def _send(self, method: str, path: str, *, json: Any = None,
                    params: dict[str, Any] | None = None) -> bytes:
        """The answer's body; job-service errors come back as the same ConveyorError."""
        try:
            async with self._http.request(method, path, json=json, params=_query(params),
                                          headers=_request_id_header()) as response:
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConveyorError(ErrorCode.UPSTREAM_UNAVAILABLE,
                                "the job service is unavailable; try again shortly") from exc
        if response.status >= 400:
            raise _as_error(response.status, body)
        return body


def _query(params: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Query parameters as pairs: a list value repeats its name (status=a&status=b)."""
    pairs: list[tuple[str, str]] = []
    for name, value in (params or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, str(item).lower() if isinstance(item, bool) else str(item)))
    return pairs


def _request_id_header() -> dict[str, str]:
    """The gateway request's id, so the job service's lines of it carry the same id."""
    request_id = current_context().get("request_id")
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


def _job_path(user_id: int, job_id: int) -> str:
    return f"/internal/users/{user_id}/jobs/{job_id}"


def _with_result(with_result: bool) -> dict[str, str]:
    return {"with_result": "true"} if with_result else {}


def _as_error(status: int, body: bytes) -> ConveyorError:
    try:
        error = contract.ServiceError.model_validate_json(body)
        return ConveyorError(ErrorCode[error.error_type], error.detail,
                             **(error.model_extra or {}))
    except (ValidationError, KeyError):
        if status < 500:  # a request the job service found invalid
            return ConveyorError(ErrorCode.INPUT_INVALID, f"the request was refused ({status})")
        return ConveyorError(ErrorCode.UPSTREAM_UNAVAILABLE,
                             f"the job service answered {status}")
