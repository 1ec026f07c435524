"""The gateway's HTTP client for the internal job service (service-token authenticated)."""

import asyncio
import time
import uuid
from typing import Any

import httpx

from shared.errors import ConveyorError, ErrorCode
from shared.jobs.models import JobStatus
from shared.jobs.states import TERMINAL

_WAIT_SLICE_SECONDS = 10.0  # the job service takes up to 30
_MIN_POLL_SECONDS = 0.05


class JobsClient:
    def __init__(self, *, base_url: str, service_token: str, timeout: float) -> None:
        # One wait stays well inside the request timeout.
        self._wait_slice = min(_WAIT_SLICE_SECONDS, timeout / 2)
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers={"X-Service-Token": service_token},
            # Idle connections are dropped well before uvicorn's keep-alive timeout (5 s) on
            # the job service closes them: reusing one the server is closing at that moment
            # fails the request, and a create cannot simply be sent again.
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50,
                                keepalive_expiry=2.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, path: str, *, json: Any = None,
                   params: Any = None) -> Any:
        """Send a request; job-service errors come back as the same ConveyorError."""
        try:
            response = await self._http.request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            raise ConveyorError(ErrorCode.UPSTREAM_UNAVAILABLE,
                                "the job service is unavailable; try again shortly") from exc
        if response.status_code >= 400:
            raise _as_error(response)
        return response.json()

    async def create_job(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", "/internal/jobs", json=payload)

    async def job(self, user_id: int, job_id: int, action: str = "", *,
                  method: str = "GET", json: Any = None, params: Any = None) -> Any:
        suffix = f"/{action}" if action else ""
        return await self.call(method, f"/internal/users/{user_id}/jobs/{job_id}{suffix}",
                               json=json, params=params)

    async def job_by_uuid(self, user_id: int, job_uuid: str, *,
                          with_result: bool = False) -> Any:
        """A job by its public id; anything that is not a UUID is simply not found.
        `with_result`: `result_items` holds an ended job's result items (of the chunks
        that completed)."""
        try:
            canonical = str(uuid.UUID(job_uuid))
        except ValueError:
            raise ConveyorError(ErrorCode.NOT_FOUND, "Job not found") from None
        return await self.call("GET", f"/internal/users/{user_id}/jobs/by-uuid/{canonical}",
                               params={"with_result": "true"} if with_result else None)

    async def wait_until_finished(self, user_id: int, job_id: int, *, timeout: float,
                                  follow_url: str, with_result: bool = False
                                  ) -> dict[str, Any]:
        """Wait for the job to end; TIMEOUT (504) naming `follow_url` if it takes too long.
        `with_result`: the final view holds a completed job's `result_items`."""
        view = await self.view_once_ended(user_id, job_id, seconds=timeout,
                                          with_result=with_result)
        if JobStatus(view["status"]) in TERMINAL:
            return view
        raise ConveyorError(ErrorCode.TIMEOUT, f"job {job_id} is still processing; follow it "
                            f"at GET {follow_url}", job_id=job_id, status_url=follow_url)

    async def view_once_ended(self, user_id: int, job_id: int, *, seconds: float,
                              with_result: bool = False) -> dict[str, Any]:
        """The job's view as soon as it has ended, or as it is after `seconds`.

        The job service answers as soon as the job has ended (woken by the transaction
        that ended it), so there is no polling interval to wait out."""
        deadline = time.monotonic() + seconds
        while True:
            wait = round(max(0.0, min(deadline - time.monotonic(), self._wait_slice)), 3)
            params: dict[str, Any] = {"wait_seconds": wait}
            if with_result:
                params["with_result"] = "true"
            asked = time.monotonic()
            view: dict[str, Any] = await self.job(user_id, job_id, params=params)
            if JobStatus(view["status"]) in TERMINAL or time.monotonic() >= deadline:
                return view
            if time.monotonic() - asked < wait / 2:  # a job service that did not wait
                await asyncio.sleep(min(_MIN_POLL_SECONDS, deadline - time.monotonic()))

    async def list_jobs(self, user_id: int, params: dict[str, Any]) -> dict[str, Any]:
        return await self.call("GET", f"/internal/users/{user_id}/jobs", params=params)


def _as_error(response: httpx.Response) -> ConveyorError:
    try:
        body = response.json()
        code = ErrorCode[body["error_type"]]
        extra = {k: v for k, v in body.items() if k not in ("error_type", "detail", "retryable")}
        return ConveyorError(code, str(body["detail"]), **extra)
    except (ValueError, KeyError):
        if response.status_code < 500:  # a request the job service found invalid
            return ConveyorError(ErrorCode.INPUT_INVALID,
                                 f"the request was refused ({response.status_code})")
        return ConveyorError(ErrorCode.UPSTREAM_UNAVAILABLE,
                             f"the job service answered {response.status_code}")
