"""A user's event feed (what /ws sends) never moves past an event still being committed:
jobs commit their events in any order, and an id the feed has passed is never read again."""

import uuid
from datetime import timedelta

from sqlalchemy import insert

from services.jobs.jobs.service import user_event_feed
from shared.auth.accounts import create_user
from shared.credits import ledger
from shared.db import get_engine, session_scope, utcnow
from shared.jobs import repository as repo
from shared.jobs.models import Job, JobEvent, JobKind, JobStatus


def _user_with_job() -> tuple[int, int]:
    with session_scope() as session:
        user = create_user(session, email=f"feed-{uuid.uuid4().hex[:8]}@example.com",
                           password="long enough pw", signup_credits=10)
        job = Job(user_id=user.id, kind=JobKind.RECEIPT, status=JobStatus.RUNNING,
                  estimated_credits=1, reserved_credits=1)
        session.add(job)
        session.flush()
        ledger.reserve(session, user_id=user.id, job_id=job.id, amount=1)
        return user.id, job.id


def _status_row(job_id: int, to_status: str) -> dict:
    return {"job_id": job_id, "event_type": "status", "to_status": to_status,
            "detail": {}, "created_at": utcnow()}


def _feed(user_id: int, after_id: int) -> tuple[list[str], int]:
    with session_scope() as session:
        feed = user_event_feed(session, user_id=user_id, after_id=after_id, kinds=[],
                               limit=100)
    return [event.to_status or "" for event in feed.events], feed.last_id


def test_an_event_committed_late_is_not_skipped(database):
    user_id, job_id = _user_with_job()
    with session_scope() as session:
        start = repo.last_event_id(session)
    with get_engine().connect() as slow:
        slow_tx = slow.begin()
        # Its id is handed out now; it commits only after a newer event has.
        slow.execute(insert(JobEvent), [_status_row(job_id, "first")])
        with session_scope() as session:
            repo.add_event(session, job_id=job_id, event_type="status", to_status="second")
        events, cursor = _feed(user_id, start)
        assert (events, cursor) == ([], start), "held back while the first is uncommitted"
        slow_tx.commit()
    events, cursor = _feed(user_id, start)
    assert events == ["first", "second"]
    assert _feed(user_id, cursor) == ([], cursor)


def test_a_rolled_back_event_does_not_hold_the_feed(database):
    user_id, job_id = _user_with_job()
    with session_scope() as session:
        start = repo.last_event_id(session)
    with get_engine().connect() as failed:
        failed_tx = failed.begin()
        failed.execute(insert(JobEvent), [_status_row(job_id, "never")])
        failed_tx.rollback()  # its id is spent: a gap that never fills
    with session_scope() as session:
        repo.add_event(session, job_id=job_id, event_type="status", to_status="after")
    events, cursor = _feed(user_id, start)
    assert events == ["after"] and cursor > start + 1


def test_a_gap_is_passed_once_its_next_event_is_old_even_with_writers_about(database):
    _, job_id = _user_with_job()
    with session_scope() as session:
        start = repo.last_event_id(session)
    with get_engine().connect() as gap:
        gap_tx = gap.begin()
        gap.execute(insert(JobEvent), [_status_row(job_id, "rolled back")])
        gap_tx.rollback()
    with session_scope() as session:
        repo.add_event(session, job_id=job_id, event_type="status", to_status="next")
    with get_engine().connect() as writer:
        writer_tx = writer.begin()
        writer.execute(insert(JobEvent), [_status_row(job_id, "in flight")])
        with session_scope() as session:
            now = utcnow()
            held = repo.settled_event_id(session, after_id=start,
                                         young_since=now - timedelta(seconds=60))
            passed = repo.settled_event_id(session, after_id=start,
                                           young_since=now + timedelta(seconds=60))
        writer_tx.rollback()
    assert held == start, "young gap, a writer at work: wait"
    assert passed > start + 1, "old gap: a rollback, passed"
