"""Waiting for a job to end without polling: `GET .../jobs/{id}?wait_seconds=N`.

The transaction that ends a job sends a Postgres NOTIFY with the job's id
(`shared.jobs.repository.FINISHED_CHANNEL`; delivered at commit, so the new state is
visible to whoever wakes). This service keeps one connection LISTENing and wakes the
requests waiting for that job. A waiter also re-reads the job every
JOB_WAIT_RECHECK_SECONDS, so a notification lost to a broken connection costs at most
that long. Without notifications (the embedded default's SQLite; the listening
connection not yet or no longer up) it re-reads every 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import psycopg
from sqlalchemy.engine import make_url

from shared.jobs.repository import FINISHED_CHANNEL

log = logging.getLogger(__name__)
V = TypeVar("V")

POLLING_RECHECK_SECONDS = 0.05
_RECONNECT_SECONDS = 1.0


class FinishedJobs:
    """Wakes waiters when a job ends; one per process, started with the app."""

    def __init__(self, database_url: str, *, recheck_seconds: float) -> None:
        url = make_url(database_url)
        self._dsn = (url.set(drivername="postgresql").render_as_string(hide_password=False)
                     if url.get_backend_name() == "postgresql" else None)
        self._listening_recheck_seconds = recheck_seconds
        self._waiters: defaultdict[int, set[asyncio.Event]] = defaultdict(set)
        self._listener: asyncio.Task[None] | None = None
        self._listening = False

    @property
    def recheck_seconds(self) -> float:
        return self._listening_recheck_seconds if self._listening else POLLING_RECHECK_SECONDS

    def start(self) -> None:
        if self._dsn is not None and self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def wait_until_ended(self, job_id: int, read: Callable[[], Awaitable[V]],
                               ended: Callable[[V], bool], *, seconds: float) -> V:
        """`read()` the job until `ended`, or once more after `seconds`."""
        deadline = time.monotonic() + seconds
        with self._waiting(job_id) as woken:
            # Registered before the first read: an end committed in between still wakes us.
            view = await read()
            while not ended(view) and (left := deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), min(left, self.recheck_seconds))
                woken.clear()
                view = await read()
        return view

    @contextlib.contextmanager
    def _waiting(self, job_id: int) -> Iterator[asyncio.Event]:
        woken = asyncio.Event()
        self._waiters[job_id].add(woken)
        try:
            yield woken
        finally:
            waiters = self._waiters.get(job_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiters[job_id]

    def _wake(self, payload: str) -> None:
        with contextlib.suppress(ValueError):
            for woken in self._waiters.get(int(payload), ()):
                woken.set()

    async def _listen(self) -> None:
        assert self._dsn is not None
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._dsn, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {FINISHED_CHANNEL}")
                    self._listening = True
                    async for notification in connection.notifies():
                        self._wake(notification.payload)
            except psycopg.Error as exc:
                log.warning("job-end notifications interrupted (%s); waiting jobs are "
                            "re-read every %.2f s until they are back", exc,
                            POLLING_RECHECK_SECONDS)
            finally:
                self._listening = False
            await asyncio.sleep(_RECONNECT_SECONDS)
