"""Creating a job with its reservation (one statement on Postgres), against the real database:
in a session on a worker thread, and awaited on an event loop (the job service's plain
creates)."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from shared.credits.models import CreditLedgerEntry
from shared.db import dispose_async_engine, get_engine, session_scope
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.creation import create_job_reserving, create_job_reserving_on_the_loop
from shared.jobs.models import Job, JobEvent, JobKind, JobStatus
from tests.support.credits import balance, entries, run_together

T = TypeVar("T")


def create(user_id: int, amount: int, **values: object) -> Job:
    with session_scope() as session:
        return create_job_reserving(session, amount=amount, user_id=user_id, kind=JobKind.PDF,
                                    page_count=amount, **values)


def create_on_the_loop(user_id: int, amount: int, **values: object) -> Job:
    """As `create`, awaited on an event loop; short of credits it answers None, which is
    raised here as the 402 the job service makes of it."""
    job = _on_a_loop(_create_on_the_loop(user_id, amount, **values))
    if job is None:
        raise ConveyorError(ErrorCode.INSUFFICIENT_CREDITS, "short")
    return job


async def _create_on_the_loop(user_id: int, amount: int, **values: object) -> Job | None:
    return await create_job_reserving_on_the_loop(amount=amount, user_id=user_id,
                                                  kind=JobKind.PDF, page_count=amount, **values)


def _on_a_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    async def run() -> T:
        try:
            return await coroutine
        finally:  # the pool's connections belong to this loop
            await dispose_async_engine()
    return asyncio.run(run())


CREATES = pytest.mark.parametrize("create_job", [create, create_on_the_loop],
                                  ids=["in a session", "on the loop"])


def jobs_of(user_id: int) -> list[Job]:
    with session_scope() as session:
        return list(session.scalars(select(Job).where(Job.user_id == user_id)))


@CREATES
def test_job_events_and_reservation_are_written_together(make_user, create_job):
    user_id = make_user(10)

    job = create_job(user_id, 4, original_filename="a.pdf", input_sha256="f" * 64)

    assert (job.status, job.estimated_credits, job.reserved_credits) == (JobStatus.PENDING, 4, 4)
    assert (job.original_filename, job.page_count, job.params) == ("a.pdf", 4, {})
    assert job.created_at.tzinfo is not None and job.uuid
    assert balance(user_id) == (6, 4)
    assert entries(user_id)[-1] == (job.id, "reserve", 4)
    with session_scope() as session:
        stored = session.get(Job, job.id)
        assert stored is not None and stored.result is None and stored.error is None
        assert session.scalar(select(func.count()).where(Job.result.is_(None),
                                                         Job.id == job.id)) == 1
        events = session.execute(select(JobEvent.event_type, JobEvent.to_status, JobEvent.detail)
                                 .where(JobEvent.job_id == job.id).order_by(JobEvent.id)).all()
        ledger_row = session.scalars(select(CreditLedgerEntry)
                                     .where(CreditLedgerEntry.job_id == job.id)).one()
    assert [tuple(e) for e in events] == [("status", "pending", {}),
                                          ("credit", None, {"movement": "reserve", "amount": 4})]
    assert (ledger_row.available_after, ledger_row.reserved_after) == (6, 4)


def test_a_refused_reservation_writes_nothing(make_user):
    user_id = make_user(3)

    try:
        create(user_id, 4)
    except ConveyorError as error:
        assert error.code is ErrorCode.INSUFFICIENT_CREDITS
        assert (error.extra["required_credits"], error.extra["available_credits"]) == (4, 3)
    else:
        raise AssertionError("a job needing more credits than available was created")
    assert jobs_of(user_id) == []
    assert balance(user_id) == (3, 0)
    assert [e[1] for e in entries(user_id)] == ["signup"]


def test_on_the_loop_a_refused_reservation_is_none_and_writes_nothing(make_user):
    user_id = make_user(3)

    assert _on_a_loop(_create_on_the_loop(user_id, 4)) is None
    assert jobs_of(user_id) == []
    assert balance(user_id) == (3, 0)
    assert [e[1] for e in entries(user_id)] == ["signup"]


def test_concurrent_creates_never_overdraw(make_user):
    user_id = make_user(10)

    outcomes = run_together([lambda: create(user_id, 1) for _ in range(30)])

    created = [o for o in outcomes if isinstance(o, Job)]
    refused = [o for o in outcomes if isinstance(o, ConveyorError)]
    assert (len(created), len(refused)) == (10, 20), outcomes
    assert all(e.code is ErrorCode.INSUFFICIENT_CREDITS for e in refused)
    assert balance(user_id) == (0, 10)
    assert sorted(j.id for j in jobs_of(user_id)) == sorted(j.id for j in created)
    reserves = [e for e in entries(user_id) if e[1] == "reserve"]
    assert sorted(job_id for job_id, _t, _a in reserves) == sorted(j.id for j in created)


def test_concurrent_creates_on_one_loop_never_overdraw(make_user):
    user_id = make_user(10)

    async def thirty() -> list[Job | None]:
        return await asyncio.gather(*(_create_on_the_loop(user_id, 1) for _ in range(30)))

    outcomes = _on_a_loop(thirty())

    created = [o for o in outcomes if o is not None]
    assert (len(created), outcomes.count(None)) == (10, 20)
    assert balance(user_id) == (0, 10)
    assert sorted(j.id for j in jobs_of(user_id)) == sorted(j.id for j in created)


def _most_checked_out_during(run: Callable[[], object]) -> int:
    """The most connections of the write engine's pool out at once while `run` runs."""
    pool, most = get_engine().pool, 0

    def on_checkout(*_args: object) -> None:
        nonlocal most
        most = max(most, pool.checkedout())

    event.listen(pool, "checkout", on_checkout)
    try:
        run()
    finally:
        event.remove(pool, "checkout", on_checkout)
    return most


def test_a_create_in_a_begun_transaction_takes_no_second_connection(make_user):
    """The pool has no overflow: a thread holding one connection and waiting for a second
    could wait forever once every connection is held that way (an Idempotency-Key's
    lookup begins the session before the create)."""
    user_id = make_user(10)
    created: list[int] = []

    def keyed_create() -> None:
        with session_scope() as session:
            session.execute(select(Job.id).where(Job.user_id == user_id))  # the lookup
            created.append(create_job_reserving(
                session, amount=2, user_id=user_id, kind=JobKind.PDF, page_count=2,
                idempotency_key="key-1").id)

    assert _most_checked_out_during(keyed_create) == 1
    assert [job.id for job in jobs_of(user_id)] == created
    assert balance(user_id) == (8, 2)
    assert entries(user_id)[-1] == (created[0], "reserve", 2)
    with pytest.raises(IntegrityError):  # the same key again: refused, nothing written
        keyed_create()
    assert balance(user_id) == (8, 2) and len(jobs_of(user_id)) == 1
