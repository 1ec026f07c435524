"""Upgrading an embedded (SQLite) database that holds jobs keeps them. Batch mode rebuilds
a table to alter it; with foreign keys enforced, dropping the old `job` table would run
the ON DELETE actions of the tables that point at it, or be refused by the ledger."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.stack import REPO_ROOT

BEFORE_JOB_IS_ALTERED = "4e1a7c9d2b60"  # the next revision adds a foreign key to `job`
TABLES = ("job", "job_chunk", "job_event", "credit_ledger_entry")


def _alembic(url: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=REPO_ROOT,
                          env={**os.environ, "DATABASE_URL": url}, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def _insert(db: sqlite3.Connection, table: str, **given: object) -> None:
    """A row with `given` and a placeholder in every other required column."""
    names, values = [], []
    for _, name, kind, not_null, default, primary in db.execute(f"PRAGMA table_info({table})"):
        if name in given or (not_null and default is None and not primary):
            names.append(f'"{name}"')
            values.append(given.get(name, _placeholder(kind.upper())))
    db.execute(f"INSERT INTO {table} ({', '.join(names)}) "
               f"VALUES ({', '.join('?' * len(values))})", values)


def _placeholder(kind: str) -> object:
    if any(word in kind for word in ("INT", "FLOAT", "REAL", "NUMERIC", "BOOL")):
        return 0
    if "DATE" in kind or "TIME" in kind:
        return "2026-01-01 00:00:00"
    return "{}" if "JSON" in kind else "x"


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in TABLES}


def test_an_upgrade_that_rebuilds_the_job_table_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "conveyor.db"
    url = f"sqlite:///{path}"
    _alembic(url, "upgrade", BEFORE_JOB_IS_ALTERED)
    with sqlite3.connect(path) as db:
        _insert(db, "user_account", id=1, email="a@example.com")
        _insert(db, "credit_account", user_id=1)
        _insert(db, "job", id=1, user_id=1, kind="pdf", status="completed", uuid="u-1")
        _insert(db, "credit_ledger_entry", user_id=1, job_id=1)
        _insert(db, "job_chunk", job_id=1, index=0)
        _insert(db, "job_event", job_id=1)
    assert _counts(path) == dict.fromkeys(TABLES, 1)

    _alembic(url, "upgrade", "head")

    assert _counts(path) == dict.fromkeys(TABLES, 1)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
