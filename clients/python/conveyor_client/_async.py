"""The asynchronous runner: performs an operation's steps over an `httpx.AsyncClient`.
It mirrors `_sync` line for line; the flows themselves are shared (`steps`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, TypeVar

import httpx
from httpx_sse import aconnect_sse

from conveyor_client import _http
from conveyor_client.errors import ConveyorError, WaitTimeout, error_from_response
from conveyor_client.models import Job, JobEvent
from conveyor_client.operations import jobs
from conveyor_client.progress import Deadline, ProgressReporter, of_job
from conveyor_client.retry import RetryPolicy
from conveyor_client.steps import Call, FollowJob, Operation, Pause, Step

T = TypeVar("T")


class AsyncRunner:
    def __init__(self, http: httpx.AsyncClient, *, base_url: str, token: str | None,
                 retry: RetryPolicy) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry = retry

    async def run(self, operation: Operation[T]) -> T:
        """Perform each step the operation yields, sending it the outcome (or throwing
        the error into it, so a flow can handle one), until it returns."""
        try:
            step = next(operation)
            while True:
                try:
                    outcome = await self._perform(step)
                except ConveyorError as error:
                    step = operation.throw(error)
                else:
                    step = operation.send(outcome)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Call):
            return await self.send(step)
        if isinstance(step, Pause):
            await asyncio.sleep(step.seconds)
            return None
        return await self.follow(step)

    async def send(self, call: Call) -> Any:
        """The call's decoded answer, resent as the retry policy allows."""
        retry = 0
        while True:
            try:
                return await self._send_once(call)
            except ConveyorError as error:
                retry += 1
                delay = self.retry.delay(retry=retry, error=error, may_resend=call.may_resend)
                if delay is None:
                    raise
                await asyncio.sleep(delay)

    async def _send_once(self, call: Call) -> Any:
        arguments = _http.request_arguments(call, base_url=self.base_url, token=self.token)
        try:
            response = await self.http.request(**arguments)
        except httpx.TransportError as exc:
            raise _http.connection_error(exc) from exc
        return _http.decoded_answer(call, response)

    async def events(self, job_id: int, *, last_event_id: int | None = None,
                     deadline: Deadline | None = None) -> AsyncGenerator[JobEvent, None]:
        """The job's events after `last_event_id` until it has ended; a broken stream is
        opened again after the last event seen."""
        retry = 0
        while True:
            try:
                async for event in self._events_once(job_id, last_event_id, deadline):
                    last_event_id, retry = event.id, 0
                    yield event
                return
            except ConveyorError as error:
                if deadline is not None and deadline.expired:
                    raise WaitTimeout(f"job {job_id} has not ended in time",
                                      job_id=job_id) from error
                retry += 1
                delay = self.retry.delay(retry=retry, error=error, may_resend=True)
                if delay is None:
                    raise
                await asyncio.sleep(delay)

    async def _events_once(self, job_id: int, last_event_id: int | None,
                           deadline: Deadline | None) -> AsyncGenerator[JobEvent, None]:
        url = f"{self.base_url}/api/v1/jobs/{job_id}/stream"
        timeout = _http.stream_timeout(self.http.timeout,
                                       deadline.remaining() if deadline else None)
        headers = _http.stream_headers(self.token, last_event_id)
        try:
            async with aconnect_sse(self.http, "GET", url, headers=headers,
                                    timeout=timeout) as source:
                if source.response.is_error:
                    await source.response.aread()
                    raise error_from_response(source.response)
                async for message in source.aiter_sse():
                    event = _http.event_of(message.data)
                    if event is not None:
                        yield event
        except httpx.TransportError as exc:
            raise _http.connection_error(exc) from exc

    async def follow(self, step: FollowJob) -> Job:
        """Follow the job to its end, reporting its progress; its last status document."""
        deadline, reporter = Deadline(step.timeout), ProgressReporter(step.on_progress)
        job, last_event_id = await self.run(jobs.get_job(step.job_id)), None
        reporter.report(of_job(job))
        while not job.ended:
            last_event_id = await self._follow_stream(step, deadline, reporter, last_event_id)
            # The stream ends once the job's last events are out: read it as it ended.
            job = await self.run(jobs.get_job(step.job_id))
            reporter.report(of_job(job))
            if not job.ended:  # a stream closed early (a proxy's limit): resume after a breath
                await asyncio.sleep(self.retry.backoff_seconds)
        return job

    async def _follow_stream(self, step: FollowJob, deadline: Deadline,
                             reporter: ProgressReporter,
                             last_event_id: int | None) -> int | None:
        """Read the stream to its end, re-reading the job when an event may have moved its
        progress; the last event's id."""
        async with aclosing(self.events(step.job_id, last_event_id=last_event_id,
                                        deadline=deadline)) as stream:
            async for event in stream:
                last_event_id = event.id
                if event.event_type in _http.PROGRESS_EVENT_TYPES:
                    reporter.report(of_job(await self.run(jobs.get_job(step.job_id))))
                if deadline.expired:
                    raise WaitTimeout(f"job {step.job_id} has not ended within "
                                      f"{step.timeout} s", job_id=step.job_id)
        return last_event_id
