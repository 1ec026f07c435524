"""Test session setup: a throwaway Postgres database built by the migrations, a Redis
database of its own, and real gateway, job service, worker and beat processes.

The environment is set before anything imports `shared.settings`, so the test process
and every subprocess it starts agree on where the data lives.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from tests.support.fake_gemini import FakeGemini
from tests.support.fake_web import BING_KEY, GOOGLE_CX, GOOGLE_KEY, FakeWeb
from tests.support.stack import REPO_ROOT, Stack

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
DB_NAME = f"conveyor_test_{uuid.uuid4().hex[:8]}"
DATA_DIR = Path(tempfile.mkdtemp(prefix="conveyor-test-"))
DATABASE_URL = (PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                + f"/{DB_NAME}")

TEST_ENV = {
    "ENVIRONMENT": "test",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DATA_DIR": str(DATA_DIR),
    "REDIS_KEY_PREFIX": f"{DB_NAME}:",
    "SECRET_KEY": "test-secret-key-not-for-production",
    "SERVICE_TOKEN": "test-service-token",
    "SIGNUP_CREDITS": "100",
    "HEARTBEAT_INTERVAL_SECONDS": "0.5",
    # Longer than one OCR step of a large receipt on a slow, busy 2-core machine (real
    # receipts took over 4 s between heartbeats there and were reaped as lost).
    "HEARTBEAT_TIMEOUT_SECONDS": "10",
    "QUEUED_TIMEOUT_SECONDS": "20",
    "REAPER_INTERVAL_SECONDS": "1",
    "OUTBOX_RELAY_AFTER_SECONDS": "1",
    # Longer than any test waits: a request waiting for a job must be woken by its end.
    "JOB_WAIT_RECHECK_SECONDS": "120",
    "RETRY_BACKOFF_SECONDS": "0.2",
    "OCR_RETRY_DELAY_SECONDS": "0.2",
    "RATE_LIMIT_PDF_ASYNC": "1000/hour",
    "RATE_LIMIT_RECEIPTS": "1000/minute",
    "RATE_LIMIT_COLOR_ASYNC": "1000/minute",
    "RATE_LIMIT_AUTH": "100000/minute",  # every test registers from 127.0.0.1
    "LOG_LEVEL": "INFO",
    "LLM_PROVIDER": "gemini",
    "LLM_API_KEY": "test-llm-key",
    "LLM_BATCH_SIZE": "50",
    "LLM_TIMEOUT_SECONDS": "5",
    # The crawler's web is a local server (tests.support.fake_web): loopback is let
    # through the address policy, politeness delays are off, timeouts short.
    "CRAWL_ALLOWED_NETWORKS": "127.0.0.1/32",
    "CRAWL_HOST_DELAY_SECONDS": "0",
    "CRAWL_READ_TIMEOUT_SECONDS": "1",
    "CRAWL_MAX_IMAGE_BYTES": "1000000",
    # Each engine's download task keeps a real rate limit, loose enough for a test's
    # handful of chunks (the default is seed 004's 10/m); validation levels keep theirs.
    "CRAWL_ENGINE_TASK_RATE_LIMIT": "600/m",
    "VALIDATION_BATCH_SIZE": "4",  # the test dataset's 11 images make three batches
    # Webhooks go to a local receiver (tests.support.webhook_receiver) on loopback; retries
    # back off from 1 s and the scan for due ones runs every half second, so an outage
    # and its recovery take seconds.
    "WEBHOOK_ALLOW_PRIVATE": "true",
    "WEBHOOK_RETRY_BASE_SECONDS": "1",
    "WEBHOOK_RETRY_SCAN_SECONDS": "0.5",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_PROGRESS_INTERVAL_SECONDS": "5",
    "BING_API_KEY": BING_KEY,
    "GOOGLE_API_KEY": GOOGLE_KEY,
    "GOOGLE_CX": GOOGLE_CX,
}
os.environ.update(TEST_ENV)


def _require_services() -> None:
    """Fail, never skip, when the real Postgres or Redis is missing."""
    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.exit(f"Postgres is not reachable at {PG_ADMIN_URL}: {exc}", returncode=3)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.exit(f"Redis is not reachable at {REDIS_URL}: {exc}", returncode=3)


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def create_database(name: str) -> str:
    """A new database with the schema built by the migrations; returns its URL."""
    _admin(f'CREATE DATABASE "{name}"')
    url = DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
    subprocess.run([sys.executable, "-m", "shared.cli", "migrate"], cwd=REPO_ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url})
    return url


def drop_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    _require_services()
    create_database(DB_NAME)
    yield DATABASE_URL
    from shared.db import get_engine

    get_engine().dispose()
    drop_database(DB_NAME)
    shutil.rmtree(DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def fake_gemini() -> Iterator[FakeGemini]:
    """The LLM provider stands outside this machine: a local server plays it."""
    server = FakeGemini().start()
    os.environ["LLM_BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_web() -> Iterator[FakeWeb]:
    """The web and the image-search APIs the crawler reaches: a local server plays them."""
    server = FakeWeb().start()
    os.environ["BING_API_URL"] = server.url
    os.environ["GOOGLE_API_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(database: str, fake_gemini: FakeGemini, fake_web: FakeWeb,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Gateway, job service, PDF, OCR, colour and crawl workers (two processes each) and
    beat; the PDF worker serves its metrics."""
    running = Stack(env={**os.environ}, log_dir=tmp_path_factory.mktemp("logs"))
    try:
        running.start_api()
        running.start_worker(concurrency=2, metrics=True)  # tests/e2e/test_metrics.py
        running.start_worker("worker-ocr", queues="ocr", app="services.workers.ocr.app",
                             concurrency=2)
        running.start_worker("worker-color", queues="color", app="services.workers.color.app",
                             concurrency=2)
        running.start_worker("worker-crawl", queues="crawl", app="services.workers.crawl.app",
                             concurrency=2)
        running.start_beat()
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        yield client
