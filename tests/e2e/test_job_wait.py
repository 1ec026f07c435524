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


def _pending_job(api, jobs: httpx.Client) -> tuple[int, int]:
    """(user id, job id) of a new user's job that nothing will run."""
    user = register_and_login(api)
    user_id = api.get("/api/v1/auth/me", headers=user.headers).json()["id"]
    response = jobs.post("/internal/jobs", json={"user_id": user_id, "kind": "pdf", "units": 1})
    assert response.status_code == 201, response.text
    return user_id, response.json()["id"]


def _wait(jobs: httpx.Client, user_id: int, job_id: int, seconds: float,
          **request: Any) -> httpx.Response:
    return jobs.get(f"/internal/users/{user_id}/jobs/{job_id}",
                    params={"wait_seconds": seconds}, **request)


def test_a_waiting_request_answers_when_the_job_ends(api, jobs):
    user_id, job_id = _pending_job(api, jobs)
    answers: list[dict[str, Any]] = []
    # Asks to wait 25 s but gives up after 10: only an early answer counts.
    waiting = threading.Thread(target=lambda: answers.append(
        _wait(jobs, user_id, job_id, 25, timeout=10).json()))
    waiting.start()
    time.sleep(0.5)  # let the wait begin (were it late, it would see the ended job at once)
    cancelled = jobs.post(f"/internal/users/{user_id}/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    waiting.join(timeout=60)
    assert answers and answers[0]["status"] == "cancelled"


def test_a_wait_on_a_job_that_does_not_end_gives_its_state_after_the_wait(api, jobs):
    response = _wait(jobs, *_pending_job(api, jobs), 0.3)
    assert response.status_code == 200 and response.json()["status"] == "pending"


def test_waiting_on_another_users_job_is_not_found_at_once(api, jobs):
    _, job_id = _pending_job(api, jobs)
    other_user_id, _ = _pending_job(api, jobs)
    assert _wait(jobs, other_user_id, job_id, 25).status_code == 404


def test_a_wait_longer_than_the_limit_is_refused(api, jobs):
    assert _wait(jobs, *_pending_job(api, jobs), 31).status_code == 422
