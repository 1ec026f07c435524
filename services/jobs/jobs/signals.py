"""Waiting for a job to end, or for its next events, without polling:
`GET .../jobs/{id}?wait_seconds=N` and `GET .../jobs/{id}/events?after_id=..&wait_seconds=N`
(the gateway's event streams), and `GET .../users/{id}/events?wait_seconds=N` (its /ws).

The transaction that ends a job sends a Postgres NOTIFY with the job's id
(`shared.jobs.repository.FINISHED_CHANNEL`), and one that logs a job's events another
(`EVENTS_CHANNEL`); both are delivered at commit, so what changed is visible to whoever
wakes. This service keeps one connection LISTENing and wakes the requests waiting for
that job (a user's feed wakes on any job's events and reads its own). A waiter also
re-reads every JOB_WAIT_RECHECK_SECONDS, so a notification lost to a broken connection
costs at most that long. Without notifications (the embedded default's SQLite; the
listening connection not yet or no longer up) it re-reads every 50 ms.
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

from shared.jobs.repository import EVENTS_CHANNEL, FINISHED_CHANNEL

log = logging.getLogger(__name__)
V = TypeVar("V")

POLLING_RECHECK_SECONDS = 0.05
_RECONNECT_SECONDS = 1.0


# Waiters on every job's events (a user's feed): woken by any, they read their own.
ANY_JOB = 0


class JobSignals:
    """Wakes waiters when a job ends or logs events; one per process, started with the
    app."""

    def __init__(self, database_url: str, *, recheck_seconds: float) -> None:
        url = make_url(database_url)
        self._dsn = (url.set(drivername="postgresql").render_as_string(hide_password=False)
                     if url.get_backend_name() == "postgresql" else None)
        self._listening_recheck_seconds = recheck_seconds
        self._waiters: dict[str, defaultdict[int, set[asyncio.Event]]] = {
            FINISHED_CHANNEL: defaultdict(set), EVENTS_CHANNEL: defaultdict(set)}
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
        return await self._wait(FINISHED_CHANNEL, job_id, read, ended, seconds=seconds)

    async def wait_for_events(self, job_id: int, read: Callable[[], Awaitable[V]],
                              found: Callable[[V], bool], *, seconds: float) -> V:
        """`read()` the job's events (ANY_JOB: a user's) until `found`, or once more after
        `seconds`."""
        return await self._wait(EVENTS_CHANNEL, job_id, read, found, seconds=seconds)

    async def _wait(self, channel: str, job_id: int, read: Callable[[], Awaitable[V]],
                    done: Callable[[V], bool], *, seconds: float) -> V:
        deadline = time.monotonic() + seconds
        with self._waiting(channel, job_id) as woken:
            # Registered before the first read: a change committed in between still wakes us.
            value = await read()
            while not done(value) and (left := deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), min(left, self.recheck_seconds))
                woken.clear()
                value = await read()
        return value

    @contextlib.contextmanager
    def _waiting(self, channel: str, job_id: int) -> Iterator[asyncio.Event]:
        woken = asyncio.Event()
        waiters = self._waiters[channel]
        waiters[job_id].add(woken)
        try:
            yield woken
        finally:
            waiting = waiters.get(job_id)
            if waiting is not None:
                waiting.discard(woken)
                if not waiting:
                    del waiters[job_id]

    def _wake(self, channel: str, payload: str) -> None:
        waiters = self._waiters.get(channel)
        if waiters is None:
            return
        with contextlib.suppress(ValueError):
            for woken in (*waiters.get(int(payload), ()), *waiters.get(ANY_JOB, ())):
                woken.set()

    async def _listen(self) -> None:
        assert self._dsn is not None
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._dsn, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {FINISHED_CHANNEL}")
                    await connection.execute(f"LISTEN {EVENTS_CHANNEL}")
                    self._listening = True
                    async for notification in connection.notifies():
                        self._wake(notification.channel, notification.payload)
            except psycopg.Error as exc:
                log.warning("job notifications interrupted (%s); waiting requests are "
                            "re-read every %.2f s until they are back", exc,
                            POLLING_RECHECK_SECONDS)
            finally:
                self._listening = False
            await asyncio.sleep(_RECONNECT_SECONDS)
