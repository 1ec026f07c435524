"""A whole stack on a redis-server of its own (and a database of its own), for the tests
that stop or restart the broker: the machine's Redis is never touched, and the session's
beat never relays these tests' outboxes."""

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from sqlalchemy.orm import Session, sessionmaker

from shared.db import build_engine
from tests.conftest import DB_NAME, create_database, drop_database
from tests.support.stack import Stack, free_port


class OwnRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run([shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--daemonize", "yes", "--dir", str(self.workdir),
                        "--logfile", str(self.workdir / "redis.log")], check=True)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def stop(self) -> None:
        # shutdown closes the connection it was sent on, which redis-py reports as an error
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url).shutdown(nosave=True)


@contextlib.contextmanager
def stack_on_own_redis(tmp_path: Path, *, name: str, worker: bool = True,
                       unset: tuple[str, ...] = (), settings: dict[str, str] | None = None,
                       separate_data_dirs: bool = False
                       ) -> Iterator[tuple[Stack, OwnRedis, sessionmaker[Session]]]:
    """(the stack, its redis-server, sessions on its database); `unset`: settings of the
    session's environment this stack runs without (on their defaults); `settings`: more
    it runs with; `separate_data_dirs`: see Stack."""
    database = f"{DB_NAME}_{name}"
    url = create_database(database)
    own = OwnRedis(tmp_path)
    own.start()
    env = {**os.environ, "REDIS_URL": own.url, "DATABASE_URL": url, "LLM_PROVIDER": "none",
           **(settings or {})}
    for setting in unset:
        env.pop(setting, None)
    stack = Stack(env=env, log_dir=tmp_path, separate_data_dirs=separate_data_dirs)
    engine = build_engine(url)
    try:
        stack.start_api()
        if worker:
            stack.start_worker(concurrency=1)
        stack.start_beat()
        yield stack, own, sessionmaker(bind=engine)
    finally:
        stack.stop_all()
        own.stop()
        engine.dispose()
        drop_database(database)
