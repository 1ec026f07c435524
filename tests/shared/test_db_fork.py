"""A forked child (a Celery pool process, or the replacement for one that was killed) must
not use the connections its parent's pool holds: both would talk over the same socket."""

import os

from sqlalchemy import text

from shared.db import get_engine, session_scope


def _count_rows(times: int) -> None:
    for number in range(times):
        with session_scope() as session:
            assert session.execute(text("SELECT :n"), {"n": number}).scalar_one() == number


def test_a_forked_child_opens_its_own_connections(database: str) -> None:
    _count_rows(3)  # the parent's pool now holds an open connection
    parent_connections = get_engine().pool.checkedin()
    assert parent_connections >= 1

    child = os.fork()
    if child == 0:  # the child: queries while its parent does, over its own connections
        try:
            _count_rows(300)
        except BaseException:
            os._exit(1)
        os._exit(0)
    _count_rows(300)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
