"""Worker heartbeats in the database: which workers are alive, on which queues, with how
many pool processes.

Each worker's main process writes one row, refreshed every HEARTBEAT_INTERVAL_SECONDS
and removed when it stops; a worker whose row is older than three intervals is taken for
gone (killed without a goodbye). Readiness counts the rows where the broker cannot
broadcast (the embedded default's SQLite broker; on Redis it asks the workers). The
lifecycle reads the pool sizes: a job whose worker follows on gets no more task messages
than there are pool processes to take them (`shared.jobs.lifecycle`).
"""

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from celery import signals
from sqlalchemy import String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import Base, is_postgres, session_scope, utcnow
from shared.settings import get_settings

log = logging.getLogger(__name__)
_MISSED_BEATS = 3  # a worker silent for this many intervals counts as gone


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # Celery's hostname
    queues: Mapped[str] = mapped_column(String(500))  # comma-separated
    # Its pool's processes (Celery's --concurrency, or the autoscaler's maximum): how many
    # tasks it can run at once.
    slots: Mapped[int] = mapped_column(server_default="1")
    seen_at: Mapped[datetime]


def beat(session: Session, *, name: str, queues: list[str], slots: int = 1) -> None:
    """Insert or refresh the worker's row."""
    values = {"name": name, "queues": ",".join(sorted(queues)), "slots": slots,
              "seen_at": utcnow()}
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = insert(WorkerHeartbeat).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={key: values[key] for key in ("queues", "slots",
                                                                     "seen_at")}))


def live_workers_per_queue(session: Session, *, queues: list[str]) -> dict[str, int]:
    """Workers heard from lately, per queue (0 for a queue nobody consumes)."""
    counts = Counter(queue for row_queues, _ in _live_rows(session)
                     for queue in row_queues.split(",") if queue)
    return {queue: counts.get(queue, 0) for queue in queues}


def live_slots(session: Session, *, queue: str) -> int:
    """The pool processes of the workers heard from lately that consume `queue`."""
    return sum(slots for row_queues, slots in _live_rows(session)
               if queue in row_queues.split(","))


def _live_rows(session: Session) -> list[tuple[str, int]]:
    cutoff = utcnow() - timedelta(
        seconds=_MISSED_BEATS * get_settings().heartbeat_interval_seconds)
    rows = session.execute(select(WorkerHeartbeat.queues, WorkerHeartbeat.slots)
                           .where(WorkerHeartbeat.seen_at >= cutoff))
    return [(row_queues, slots) for row_queues, slots in rows]


class _Beating:
    """The daemon thread of this worker process that keeps its row fresh."""

    def __init__(self, name: str, queues: list[str], slots: int) -> None:
        self.name, self.queues, self.slots = name, queues, slots
        self.stopped = threading.Event()
        threading.Thread(target=self._run, name="worker-heartbeat", daemon=True).start()

    def _run(self) -> None:
        interval = get_settings().heartbeat_interval_seconds
        while not self.stopped.is_set():
            try:
                with session_scope() as session:
                    beat(session, name=self.name, queues=self.queues, slots=self.slots)
            except Exception as exc:  # the database is down: readiness will say so
                log.warning("worker heartbeat not written: %s", exc)
            self.stopped.wait(interval)

    def stop(self) -> None:
        self.stopped.set()
        try:
            with session_scope() as session:
                session.execute(delete(WorkerHeartbeat)
                                .where(WorkerHeartbeat.name == self.name))
        except Exception as exc:  # its row simply goes stale
            log.warning("worker heartbeat not removed: %s", exc)


_beating: _Beating | None = None


@signals.worker_ready.connect
def _start_beating(sender: Any, **_: Any) -> None:
    global _beating
    queues = list(sender.app.amqp.queues.consume_from)
    pool = sender.controller  # Celery's WorkController: max_concurrency when autoscaling
    _beating = _Beating(sender.hostname, queues,
                        slots=pool.max_concurrency or pool.concurrency)


@signals.worker_shutdown.connect
def _stop_beating(**_: Any) -> None:
    if _beating is not None:
        _beating.stop()
