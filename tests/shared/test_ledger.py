"""The credit ledger against the real Postgres test database: no overdraw, exactly once."""

import pytest

from shared.credits import ledger
from shared.credits.models import LedgerEntryType
from shared.db import session_scope
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.models import Job, JobKind
from tests.support.credits import balance, entries, run_together

E = LedgerEntryType


def make_jobs(user_id: int, count: int) -> list[int]:
    with session_scope() as session:
        jobs = [Job(user_id=user_id, kind=JobKind.PDF) for _ in range(count)]
        session.add_all(jobs)
        session.flush()
        return [job.id for job in jobs]


def reserve(user_id: int, job_id: int, amount: int) -> None:
    with session_scope() as session:
        ledger.reserve(session, user_id=user_id, job_id=job_id, amount=amount)


def test_concurrent_reservations_never_overdraw(make_user):
    user_id = make_user(10)
    job_ids = make_jobs(user_id, 40)

    outcomes = run_together([lambda j=j: reserve(user_id, j, 1) for j in job_ids])

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert sum(1 for o in outcomes if not isinstance(o, Exception)) == 10
    assert len(errors) == 30
    for error in errors:
        assert isinstance(error, ConveyorError), repr(error)
        assert error.code is ErrorCode.INSUFFICIENT_CREDITS
        assert error.extra["required_credits"] == 1
    assert balance(user_id) == (0, 10)
    reserves = [e for e in entries(user_id) if e[1] == E.RESERVE]
    assert len(reserves) == 10
    assert len({job_id for job_id, _type, _amount in reserves}) == 10
    assert all(amount == 1 for _job, _type, amount in reserves)


def test_reservation_exactly_at_the_balance_then_one_more_is_refused(make_user):
    user_id = make_user(5)
    first, second = make_jobs(user_id, 2)
    reserve(user_id, first, 5)
    with pytest.raises(ConveyorError) as refused:
        reserve(user_id, second, 1)
    assert refused.value.code is ErrorCode.INSUFFICIENT_CREDITS
    assert refused.value.extra["available_credits"] == 0
    assert balance(user_id) == (0, 5)


def test_release_twice_moves_credits_once(make_user):
    user_id = make_user(20)
    (job_id,) = make_jobs(user_id, 1)
    reserve(user_id, job_id, 7)
    assert balance(user_id) == (13, 7)

    with session_scope() as session:
        assert ledger.release(session, user_id=user_id, job_id=job_id, amount=7) is True
    with session_scope() as session:
        assert ledger.release(session, user_id=user_id, job_id=job_id, amount=7) is False

    assert balance(user_id) == (20, 0)
    job_rows = [(t, a) for j, t, a in entries(user_id) if j == job_id]
    assert job_rows == [("reserve", 7), ("release", 7)]


def test_charge_twice_moves_credits_once(make_user):
    user_id = make_user(20)
    (job_id,) = make_jobs(user_id, 1)
    reserve(user_id, job_id, 8)

    with session_scope() as session:
        assert ledger.charge(session, user_id=user_id, job_id=job_id, reserved=8, used=5)
    with session_scope() as session:
        assert ledger.charge(session, user_id=user_id, job_id=job_id, reserved=8,
                             used=5) is False
    # A release after the charge is a replay too: the job is settled.
    with session_scope() as session:
        assert ledger.release(session, user_id=user_id, job_id=job_id, amount=8) is False

    assert balance(user_id) == (15, 0)
    job_rows = sorted((t, a) for j, t, a in entries(user_id) if j == job_id)
    assert job_rows == [("charge", 5), ("release", 3), ("reserve", 8)]


def _settle_in_own_transaction(kind: str, user_id: int, job_id: int, amount: int) -> bool:
    with session_scope() as session:
        if kind == "release":
            return ledger.release(session, user_id=user_id, job_id=job_id, amount=amount)
        return ledger.charge(session, user_id=user_id, job_id=job_id, reserved=amount,
                             used=amount)


@pytest.mark.parametrize("kind", ["release", "charge"])
def test_concurrent_replays_settle_each_job_once(make_user, kind):
    user_id = make_user(100)
    job_ids = make_jobs(user_id, 4)
    for job_id in job_ids:
        reserve(user_id, job_id, 5)
    assert balance(user_id) == (80, 20)

    calls = [lambda j=j: _settle_in_own_transaction(kind, user_id, j, 5)
             for j in job_ids for _ in range(8)]
    outcomes = run_together(calls)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    for index, job_id in enumerate(job_ids):
        per_job = outcomes[index * 8:(index + 1) * 8]
        assert per_job.count(True) == 1, (job_id, per_job)
        assert per_job.count(False) == 7
    rows = entries(user_id)
    for job_id in job_ids:
        job_rows = sorted((t, a) for j, t, a in rows if j == job_id)
        if kind == "release":
            assert job_rows == [("release", 5), ("reserve", 5)]
        else:  # everything used: a charge of 5 and a release of the remaining 0
            assert job_rows == [("charge", 5), ("release", 0), ("reserve", 5)]
    assert balance(user_id) == ((100, 0) if kind == "release" else (80, 0))


def test_charge_is_capped_at_the_reservation(make_user):
    user_id = make_user(50)
    (job_id,) = make_jobs(user_id, 1)
    reserve(user_id, job_id, 10)

    with session_scope() as session:
        assert ledger.charge(session, user_id=user_id, job_id=job_id, reserved=10, used=25)

    assert balance(user_id) == (40, 0)
    job_rows = sorted((t, a) for j, t, a in entries(user_id) if j == job_id)
    assert job_rows == [("charge", 10), ("release", 0), ("reserve", 10)]


def test_negative_usage_charges_nothing(make_user):
    user_id = make_user(50)
    (job_id,) = make_jobs(user_id, 1)
    reserve(user_id, job_id, 10)
    with session_scope() as session:
        assert ledger.charge(session, user_id=user_id, job_id=job_id, reserved=10, used=-3)
    assert balance(user_id) == (50, 0)
    job_rows = sorted((t, a) for j, t, a in entries(user_id) if j == job_id)
    assert job_rows == [("release", 10), ("reserve", 10)]


@pytest.mark.parametrize("amount", [0, -1, -500])
def test_grant_of_a_non_positive_amount_is_refused(make_user, amount):
    user_id = make_user(10)
    with pytest.raises(ConveyorError) as refused, session_scope() as session:
        ledger.grant(session, user_id=user_id, amount=amount)
    assert refused.value.code is ErrorCode.INPUT_INVALID
    assert balance(user_id) == (10, 0)
    assert [t for _j, t, _a in entries(user_id)] == ["signup"]


def test_grant_adds_and_records(make_user):
    user_id = make_user(10)
    with session_scope() as session:
        after = ledger.grant(session, user_id=user_id, amount=15, note="thanks")
    assert (after.available, after.reserved) == (25, 0)
    assert balance(user_id) == (25, 0)
    assert entries(user_id) == [(None, "signup", 10), (None, "grant", 15)]
