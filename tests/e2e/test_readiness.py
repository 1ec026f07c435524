"""/health/ready says `degraded`, naming the queues, while a queue has no worker."""

import os
import time
import uuid

import httpx
import pytest

from tests.support.stack import Stack


@pytest.fixture
def maintenance_only(database, tmp_path):
    """The API and the maintenance worker, nothing on the work queues. A key prefix of
    its own: the broadcast must not reach the session stack's workers."""
    env = {**os.environ, "REDIS_KEY_PREFIX": f"ready-{uuid.uuid4().hex[:8]}:"}
    stack = Stack(env=env, log_dir=tmp_path)
    try:
        stack.start_api()
        stack.start_beat()
        yield stack
    finally:
        stack.stop_all()


def test_ready_is_degraded_while_a_queue_has_no_worker(maintenance_only: Stack) -> None:
    body: dict = {}
    for _ in range(10):  # replies to the broadcast come within a short window
        response = httpx.get(f"{maintenance_only.gateway_url}/health/ready", timeout=10)
        assert response.status_code == 200, response.text  # degraded still takes work
        body = response.json()
        if body["workers"].get("maintenance"):
            break
        time.sleep(1)
    assert body["status"] == "degraded", body
    assert body["queues_without_workers"] == ["color", "crawl", "ocr", "pdf"], body
    assert body["workers_seen_by"] == "broker"
    assert body["workers"]["maintenance"] == 1
