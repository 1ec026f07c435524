"""A burst of concurrent transactions leaves its connections in the pool: connections
closed as soon as they are returned meant a new Postgres session (a fork and a login on
the database's side) for one request in seven at 50 clients."""

from contextlib import ExitStack

from sqlalchemy import Engine, text

from shared.db import build_engine, get_read_engine


def _burst(engine: Engine, count: int) -> set[int]:
    """`count` connections open at once; the backend pid of each."""
    with ExitStack() as stack:
        connections = [stack.enter_context(engine.connect()) for _ in range(count)]
        return {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in connections}


def test_connections_of_a_burst_stay_open_for_the_next(database: str) -> None:
    burst = 12  # the reads' pool kept 10 before; fewer than the most at once
    for engine in (build_engine(database), get_read_engine()):
        try:
            first = _burst(engine, burst)
            assert engine.pool.checkedin() == burst
            assert _burst(engine, burst) == first  # the same sessions, none opened anew
        finally:
            engine.dispose()

