"""Engine, declarative base and the one transaction boundary (`session_scope`).

Services and repositories only `flush`; whoever opened the scope (a request dependency,
a task, a CLI command) commits once or rolls back.
"""

import functools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import anyio.to_thread
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    event,
    make_url,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from shared.settings import get_settings

P = ParamSpec("P")
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every table's id is a Postgres `integer` (the migrations' sa.Integer): an id past this
# names no row, and the database refuses to compare one with the column, so a request
# carrying one is invalid input, to be refused before any query (a path id: 422).
MAX_ROW_ID = 2**31 - 1
# Postgres text and JSONB cannot hold a NUL character: stored request fields take this
# pattern, so that a NUL is refused as an invalid field (422), not by the database.
WITHOUT_NUL = r"^[^\x00]*$"

# JSONB on Postgres, plain JSON text on SQLite.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are always aware and in UTC, also on SQLite, which stores them naive."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JsonDoc}


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for plain Core statements on hot paths."""
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; the busy timeout makes concurrent
    # writers from several processes queue instead of failing with "database is locked".
    # pysqlite's own deferred BEGIN is switched off: see _begin_immediate.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY, no
    # waiting) when another process wrote in between; taking the write lock up front
    # makes it wait its turn instead. Embedded mode trades read concurrency for that.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# Connections an engine keeps, and its most at once. Overflow connections, closed as soon
# as they are returned, made the job service open a new Postgres session (a fork and a
# login on the database's side) for one confirm in seven at 50 clients. Twenty at once is
# more than two cores' worth of transactions; a thread beyond them waits for one. So a
# thread must never hold two connections of one engine: twenty threads each waiting for
# their second would wait for ever (see `creation.create_job_reserving`). Connections are
# opened only when needed: a Celery pool process uses a few.
POOL_SIZE = 20


def build_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    # No pre-ping (a round trip per checkout); connections are recycled instead, and a
    # stale one fails one request (workers retry such errors as transient).
    return create_engine(url, pool_size=POOL_SIZE, max_overflow=0, pool_recycle=600)


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().effective_database_url)


@lru_cache
def get_read_engine() -> Engine:
    """The engine of `in_read`. On Postgres a pool of its own, whose connections stay in
    autocommit: switching a pooled connection there and back on each checkout cost a fifth
    of a status poll's read. SQLite shares the one engine."""
    url = get_settings().effective_database_url
    if url.startswith("sqlite"):
        return get_engine()
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=POOL_SIZE, max_overflow=0,
                         pool_recycle=600)


def writes_on_the_loop() -> bool:
    """Whether `autocommit_on_the_loop` is there: on Postgres, not on SQLite."""
    return make_url(get_settings().effective_database_url).get_backend_name() == "postgresql"


@lru_cache
def get_async_engine() -> AsyncEngine:
    """Postgres through psycopg's async connection, in autocommit: for the one-statement
    writes an async route makes on its event loop (`autocommit_on_the_loop`)."""
    url = make_url(get_settings().effective_database_url).set(drivername="postgresql+psycopg")
    return create_async_engine(url, isolation_level="AUTOCOMMIT", pool_size=POOL_SIZE,
                               max_overflow=0, pool_recycle=600)


@asynccontextmanager
async def autocommit_on_the_loop() -> AsyncIterator[AsyncConnection]:
    """A pooled async connection in autocommit mode (Postgres only): each statement is its
    own transaction, awaited on the event loop. The job service's plain create, awaited
    here rather than run in a worker thread and a session, answered 1.06x faster at one
    client and 1.12x at ten (bench/RESULTS.md, session 21)."""
    async with get_async_engine().connect() as connection:
        yield connection


async def dispose_async_engine() -> None:
    """Close the async pool's connections (at shutdown, on the loop that used them)."""
    if get_async_engine.cache_info().currsize:
        await get_async_engine().dispose()
        get_async_engine.cache_clear()


def _forget_inherited_connections() -> None:
    """In a forked child (a Celery pool process, a replacement for one that died), the
    pool still holds the parent's open connections: two processes talking over one socket
    corrupt each other's results ("This result object does not return rows"). The child
    drops them, unclosed, and opens its own."""
    for engine in (get_engine, get_read_engine):
        if engine.cache_info().currsize:
            engine().dispose(close=False)
    if get_async_engine.cache_info().currsize:
        get_async_engine().sync_engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    # Foreign keys cross modules (ledger -> job): every mapped table must be registered.
    import shared.models  # noqa: F401

    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """Open a session, commit once on success, roll back on any error."""
    session = _session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def autocommit_connection() -> Iterator[Connection]:
    """A pooled connection in autocommit mode: each statement is its own transaction."""
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def in_transaction(fn: Callable[Concatenate[Session, P], T], *args: P.args,
                   **kwargs: P.kwargs) -> T:
    """Run `fn(session, ...)` in one transaction: commit if it returns, roll back if not."""
    with session_scope() as session:
        return fn(session, *args, **kwargs)


async def in_transaction_thread(fn: Callable[Concatenate[Session, P], T], *args: P.args,
                                **kwargs: P.kwargs) -> T:
    """`in_transaction` on a worker thread, for async routes.

    The whole unit of work, commit included, runs in one thread call. A commit left to a
    later thread hop (a yield dependency) can wait for a free thread while every thread
    waits on the row locks that commit would release: a deadlock under load.
    """
    return await anyio.to_thread.run_sync(functools.partial(in_transaction, fn, *args, **kwargs))


def in_read(fn: Callable[Concatenate[Connection, P], T], *args: P.args,
            **kwargs: P.kwargs) -> T:
    """Run `fn(connection, ...)`, which only reads, with no transaction around it on
    Postgres: each statement commits by itself, so there is no BEGIN or COMMIT round trip
    (a status poll's reads were four round trips; now one). Each statement reads the data
    committed when it starts, which is what every statement of a READ COMMITTED
    transaction (ours) does anyway. Never for writes: each would commit on its own. On
    SQLite the reads run in a transaction, rolled back at the end."""
    with get_read_engine().connect() as connection:
        return fn(connection, *args, **kwargs)


async def in_read_thread(fn: Callable[Concatenate[Connection, P], T], *args: P.args,
                         **kwargs: P.kwargs) -> T:
    """`in_read` on a worker thread, for async routes."""
    return await anyio.to_thread.run_sync(functools.partial(in_read, fn, *args, **kwargs))


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def singleton_lock(key: int) -> Iterator[bool]:
    """Hold a Postgres advisory lock for the block; False if another process holds it.

    It lives on a connection of its own that touches no rows, so the work inside can use
    short transactions of its own. SQLite (the embedded default, one beat) always gets it.
    """
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        acquired = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
