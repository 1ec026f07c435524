"""Transactional outbox: a task message is stored with the state it belongs to and
published only after that transaction committed.

After commit, the messages are handed to a publisher thread, so publishing stays off the
request path; it sends what the transaction wrote (no read back) and marks the batch sent
in one UPDATE. If the broker is down or the process dies first, the row stays unsent and
the beat relay (`relay_unsent`) publishes it later. A message may thus go out twice;
workers claim with guarded updates, so the second delivery changes nothing.
"""

import contextlib
import logging
import queue
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from shared.celery_app import TASK_QUEUES, TaskName, create_celery_app
from shared.db import session_scope, utcnow
from shared.jobs.models import OutboxMessage

log = logging.getLogger(__name__)
_PENDING_KEY = "outbox_messages"


@dataclass(frozen=True, kw_only=True)
class Message:
    """What publishing needs of an outbox row, copied so no thread reads it back."""

    id: int
    task_name: str
    queue: str
    task_id: str
    kwargs: dict[str, Any]
    countdown_seconds: float

    @classmethod
    def of(cls, row: OutboxMessage) -> "Message":
        return cls(id=row.id, task_name=row.task_name, queue=row.queue, task_id=row.task_id,
                   kwargs=dict(row.kwargs), countdown_seconds=row.countdown_seconds)


@dataclass(frozen=True, kw_only=True)
class TaskRequest:
    """A task message to put in the outbox."""

    task_name: TaskName
    task_id: str
    kwargs: dict[str, Any]
    countdown_seconds: float = 0.0


def enqueue_task(session: Session, *, task_name: TaskName, task_id: str,
                 kwargs: dict[str, Any], countdown_seconds: float = 0.0) -> None:
    enqueue_tasks(session, [TaskRequest(task_name=task_name, task_id=task_id, kwargs=kwargs,
                                        countdown_seconds=countdown_seconds)])


def enqueue_tasks(session: Session, requests: list[TaskRequest]) -> None:
    """Several messages in one INSERT (a job's first chunks)."""
    rows = [OutboxMessage(task_name=r.task_name.value, queue=TASK_QUEUES[r.task_name].value,
                          task_id=r.task_id, kwargs=r.kwargs,
                          countdown_seconds=r.countdown_seconds) for r in requests]
    session.add_all(rows)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).extend(Message.of(row) for row in rows)


@event.listens_for(Session, "after_commit")
def _hand_over_after_commit(session: Session) -> None:
    messages = session.info.pop(_PENDING_KEY, None)
    if messages:
        _publisher().submit(messages)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


class _Publisher:
    """One daemon thread per process that publishes committed outbox rows."""

    def __init__(self) -> None:
        self._pending: queue.Queue[list[Message]] = queue.Queue()
        self._app: Celery | None = None
        self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self._thread.start()

    def submit(self, messages: list[Message]) -> None:
        self._pending.put(messages)

    def _run(self) -> None:
        while True:
            messages = list(self._pending.get())
            # Whatever else committed meanwhile goes out in the same batch (one UPDATE).
            with contextlib.suppress(queue.Empty):
                while True:
                    messages.extend(self._pending.get_nowait())
            try:
                publish(self.app, messages)
            except Exception:  # the relay retries whatever stayed unsent
                log.exception("outbox publish failed; the relay will retry")

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = create_celery_app("conveyor-publisher")
        return self._app


_publisher_instance: _Publisher | None = None
_publisher_lock = threading.Lock()


def _publisher() -> _Publisher:
    global _publisher_instance
    with _publisher_lock:
        if _publisher_instance is None:
            _publisher_instance = _Publisher()
        return _publisher_instance


def publish(app: Celery, messages: list[Message]) -> int:
    """Send the messages; mark those sent in one UPDATE (a failed one stays for the relay)."""
    sent = [message.id for message in messages if _send(app, message)]
    if sent:
        with session_scope() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(sent))
                            .values(sent_at=utcnow(),
                                    publish_attempts=OutboxMessage.publish_attempts + 1))
    return len(sent)


def relay_unsent(app: Celery, *, older_than_seconds: float, limit: int = 500) -> int:
    """Publish rows that stayed unsent (crash between commit and publish, broker down)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with session_scope() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at < cutoff)
            .order_by(OutboxMessage.id).limit(limit))
        messages = [Message.of(row) for row in rows]
    return publish(app, messages)


def _send(app: Celery, message: Message) -> bool:
    try:
        app.send_task(message.task_name, kwargs=message.kwargs, task_id=message.task_id,
                      queue=message.queue, countdown=message.countdown_seconds or None,
                      retry=False)
    except Exception as exc:  # broker unreachable: keep the row for the relay
        _note_failure(message.id, repr(exc))
        return False
    return True


def _note_failure(message_id: int, error: str) -> None:
    log.warning("outbox message %s not published: %s", message_id, error)
    with session_scope() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(publish_attempts=OutboxMessage.publish_attempts + 1,
                                last_error=error[:2000]))


def revoke_quietly(task_ids: list[str]) -> None:
    """Ask workers to drop these tasks. Only a hint: the database cancel flag is the truth."""
    if not task_ids:
        return
    try:
        _publisher().app.control.revoke(task_ids)
    except Exception as exc:  # broker down or transport without broadcast: the flag suffices
        log.info("revoke of %d tasks not sent: %s", len(task_ids), exc)
