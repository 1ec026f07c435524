"""Creating a job and reserving its credits: all or nothing.

On Postgres it is one autocommitted statement (data-modifying CTEs): the reservation, the
job row, its first events and the ledger entry are written together, and the user's
credit row is locked only while Postgres runs that statement. With a transaction spanning
several round trips, every create of one user queued on that row lock for as long as the
creating thread took to get the GIL back, send the next statement and commit.

The job service awaits that statement on its event loop for a job that needs nothing
else (`create_job_reserving_on_the_loop`); every other create runs it on a worker thread,
in the session of the rest of its work.

SQLite (the embedded default) has no data-modifying CTEs; there the same rows are
written statement by statement in the caller's transaction.
"""

from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    bindparam,
    insert,
    literal,
    null,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, make_transient_to_detached

from shared.credits import ledger
from shared.credits.models import CreditAccount, CreditLedgerEntry, LedgerEntryType
from shared.db import autocommit_connection, autocommit_on_the_loop, is_postgres, table_of
from shared.jobs import repository as repo
from shared.jobs.models import Job, JobEvent, JobStatus


def create_job_reserving(session: Session, *, amount: int, **values: Any) -> Job:
    """Insert a pending job holding `amount` reserved credits, or raise 402 (nothing written).

    A duplicate (user, Idempotency-Key) raises IntegrityError, as the unique index says.
    """
    values = _job_values(amount, values)
    if not is_postgres(session):
        return _create_step_by_step(session, amount=amount, values=values)
    statement, params = _statement_and_params(amount, values)
    if session.in_transaction():
        # The session holds a connection already (an Idempotency-Key lookup, a planner's
        # lock). A second one from the same pool could wait forever: every connection held
        # by a thread that waits for its second. The statement joins that transaction.
        row = session.execute(statement, params).one_or_none()
    else:  # one statement that commits by itself: no BEGIN and COMMIT round trips
        with autocommit_connection() as connection:
            row = connection.execute(statement, params).one_or_none()
    if row is None:
        raise ledger.shortfall(session, user_id=values["user_id"], amount=amount)
    job = _job_of(row)
    session.add(job)
    return job


async def create_job_reserving_on_the_loop(*, amount: int, **values: Any) -> Job | None:
    """`create_job_reserving`'s one statement, awaited on the event loop (Postgres only,
    `db.writes_on_the_loop`); None when the credits are short (nothing written). The job
    belongs to no session."""
    statement, params = _statement_and_params(amount, _job_values(amount, values))
    async with autocommit_on_the_loop() as connection:
        row = (await connection.execute(statement, params)).one_or_none()
    return None if row is None else _job_of(row)


def _job_values(amount: int, values: dict[str, Any]) -> dict[str, Any]:
    return {**_job_defaults(), **values, "status": JobStatus.PENDING,
            "estimated_credits": amount, "reserved_credits": amount}


def _statement_and_params(amount: int, values: dict[str, Any]
                          ) -> tuple[Select[Any], dict[str, Any]]:
    # Columns left out are NULL (a JSON column given None would hold JSON 'null').
    values = {name: value for name, value in values.items() if value is not None}
    params = {**{f"job_{k}": v for k, v in values.items()}, "amount": amount,
              "now": values["created_at"], "reserve_detail": _reserve_detail(amount)}
    return _create_statement(tuple(sorted(values))), params


def _job_of(row: Row[Any]) -> Job:
    """The committed row as a detached Job, without reading it back."""
    job = Job(**row._mapping)
    make_transient_to_detached(job)
    return job


def _create_step_by_step(session: Session, *, amount: int, values: dict[str, Any]) -> Job:
    job = repo.insert_job(session, **values)
    repo.insert_events(session, job_id=job.id, events=[
        {"event_type": "status", "to_status": JobStatus.PENDING.value},
        {"event_type": "credit", "detail": _reserve_detail(amount)}])
    ledger.reserve(session, user_id=job.user_id, job_id=job.id, amount=amount)
    return job


def _reserve_detail(amount: int) -> dict[str, Any]:
    return {"movement": "reserve", "amount": amount}


def _job_defaults() -> dict[str, Any]:
    """The Python-side column defaults, which INSERT ... SELECT does not apply."""
    defaults: dict[str, Any] = {}
    for column in table_of(Job).c:
        default = column.default
        if column.primary_key or default is None or not hasattr(default, "arg"):
            continue
        defaults[column.name] = default.arg(None) if default.is_callable else default.arg
    return defaults


@cache
def _create_statement(job_columns: tuple[str, ...]) -> Select[Any]:
    """Built once per column set; parameters: amount, now, reserve_detail, job_<column>."""
    accounts, jobs = table_of(CreditAccount), table_of(Job)
    events, entries = table_of(JobEvent), table_of(CreditLedgerEntry)
    amount, now = bindparam("amount", type_=Integer), bindparam("now", type_=jobs.c.created_at.type)

    account = (update(accounts)
               .where(accounts.c.user_id == bindparam("job_user_id"),
                      accounts.c.available >= amount)
               .values(available=accounts.c.available - amount,
                       reserved=accounts.c.reserved + amount, updated_at=now)
               .returning(accounts.c.user_id, accounts.c.available, accounts.c.reserved)
               .cte("account"))
    new_job = (insert(jobs)
               .from_select(list(job_columns),
                            select(*(bindparam(f"job_{name}", type_=jobs.c[name].type)
                                     for name in job_columns)).select_from(account))
               .returning(*jobs.c)
               .cte("new_job"))
    status_event = select(new_job.c.id, literal("status"), literal(JobStatus.PENDING.value),
                          literal({}, events.c.detail.type), now)
    reserve_event = select(new_job.c.id, literal("credit"), null(),
                           bindparam("reserve_detail", type_=events.c.detail.type), now)
    first_events = (insert(events)
                    .from_select(["job_id", "event_type", "to_status", "detail", "created_at"],
                                 status_event.union_all(reserve_event))
                    .returning(events.c.id)
                    .cte("first_events"))
    entry = (insert(entries)
             .from_select(["user_id", "job_id", "entry_type", "amount", "available_after",
                           "reserved_after", "created_at"],
                          select(account.c.user_id, new_job.c.id,
                                 literal(LedgerEntryType.RESERVE.value), amount,
                                 account.c.available, account.c.reserved, now)
                          .select_from(account.join(new_job, true())))
             .returning(entries.c.id)
             .cte("reserve_entry"))
    return select(new_job).add_cte(first_events, entry)
