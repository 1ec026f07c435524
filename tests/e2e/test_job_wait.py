"""Waiting for a job to end: `GET /internal/users/{user}/jobs/{id}?wait_seconds=N` on the job
service answers once the job has ended, woken by the transaction that ended it.

The test stack re-reads a waiting job only every 120 s (JOB_WAIT_RECHECK_SECONDS), longer
than any wait here, so only that wake-up can answer in time."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_ENV
from tests.support.api import register_and_login


@pytest.fixture
def jobs(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.jobs_url, timeout=60,
                      headers={"X-Service-Token": TEST_ENV["SERVICE_TOKEN"]}) as client:
        yield client


def _pending_job(jobs: httpx.Client, user_id: int) -> int:
    response = jobs.post("/internal/jobs", json={"user_id": user_id, "kind": "pdf", "units": 1})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _user_id(api, user) -> int:
    return api.get("/api/v1/auth/me", headers=user.headers).json()["id"]


def test_a_waiting_request_answers_when_the_job_ends(api, jobs):
    user = register_and_login(api)
    user_id = _user_id(api, user)
    job_id = _pending_job(jobs, user_id)
    answers: list[dict[str, Any]] = []
    # Asks to wait 25 s but gives up after 10: only an early answer counts.
    waiting = threading.Thread(target=lambda: answers.append(jobs.get(
        f"/internal/users/{user_id}/jobs/{job_id}", params={"wait_seconds": 25},
        timeout=10).json()))
    waiting.start()
    time.sleep(0.5)  # let the wait begin (were it late, it would see the ended job at once)
    cancelled = jobs.post(f"/internal/users/{user_id}/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    waiting.join(timeout=60)
    assert answers and answers[0]["status"] == "cancelled"


def test_a_wait_on_a_job_that_does_not_end_gives_its_state_after_the_wait(api, jobs):
    user = register_and_login(api)
    user_id = _user_id(api, user)
    job_id = _pending_job(jobs, user_id)
    response = jobs.get(f"/internal/users/{user_id}/jobs/{job_id}",
                        params={"wait_seconds": 0.3})
    assert response.status_code == 200 and response.json()["status"] == "pending"


def test_waiting_on_another_users_job_is_not_found_at_once(api, jobs):
    owner, other = register_and_login(api), register_and_login(api)
    job_id = _pending_job(jobs, _user_id(api, owner))
    response = jobs.get(f"/internal/users/{_user_id(api, other)}/jobs/{job_id}",
                        params={"wait_seconds": 25})
    assert response.status_code == 404


def test_a_wait_longer_than_the_limit_is_refused(api, jobs):
    user = register_and_login(api)
    user_id = _user_id(api, user)
    job_id = _pending_job(jobs, user_id)
    response = jobs.get(f"/internal/users/{user_id}/jobs/{job_id}",
                        params={"wait_seconds": 31})
    assert response.status_code == 422
