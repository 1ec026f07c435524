"""Waiting for a job to end: `GET /internal/users/{user}/jobs/{id}?wait_seconds=N` on the job
service answers once the job has ended, woken by the transaction that ended it; the
gateway's `GET /api/v1/jobs/{id}?wait_seconds=N` is the same long poll for clients.

The test stack re-reads a waiting job only every 120 s (JOB_WAIT_RECHECK_SECONDS), longer
than any wait here, so only that wake-up can answer in time."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_ENV
from tests.support.api import User, register_and_login


@pytest.fixture
def jobs(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.jobs_url, timeout=60,
                      headers={"X-Service-Token": TEST_ENV["SERVICE_TOKEN"]}) as client:
        yield client


@dataclass(frozen=True)
class PendingJob:
    """A new user's job that nothing will run."""

    user: User
    user_id: int
    job_id: int


def _pending_job(api, jobs: httpx.Client) -> PendingJob:
    user = register_and_login(api)
    user_id = api.get("/api/v1/auth/me", headers=user.headers).json()["id"]
    response = jobs.post("/internal/jobs", json={"user_id": user_id, "kind": "pdf", "units": 1})
    assert response.status_code == 201, response.text
    return PendingJob(user=user, user_id=user_id, job_id=response.json()["id"])


def _answer_to_a_wait_cut_short(ask: Callable[[], httpx.Response],
                                end_the_job: Callable[[], httpx.Response]) -> dict[str, Any]:
    """What `ask` (which waits 25 s but gives up after 10, so only an early answer counts)
    answered when the job was ended half a second after it asked."""
    answers: list[dict[str, Any]] = []
    waiting = threading.Thread(target=lambda: answers.append(ask().json()))
    waiting.start()
    time.sleep(0.5)  # let the wait begin (were it late, it would see the ended job at once)
    ended = end_the_job()
    assert ended.status_code == 200, ended.text
    waiting.join(timeout=60)
    assert answers, "the wait did not answer before the client gave up"
    return answers[0]


def _wait(jobs: httpx.Client, job: PendingJob, seconds: float,
          **request: Any) -> httpx.Response:
    return jobs.get(f"/internal/users/{job.user_id}/jobs/{job.job_id}",
                    params={"wait_seconds": seconds}, **request)


def test_a_waiting_request_answers_when_the_job_ends(api, jobs):
    job = _pending_job(api, jobs)
    answer = _answer_to_a_wait_cut_short(
        lambda: _wait(jobs, job, 25, timeout=10),
        lambda: jobs.post(f"/internal/users/{job.user_id}/jobs/{job.job_id}/cancel"))
    assert answer["status"] == "cancelled"


def test_a_wait_on_a_job_that_does_not_end_gives_its_state_after_the_wait(api, jobs):
    response = _wait(jobs, _pending_job(api, jobs), 0.3)
    assert response.status_code == 200 and response.json()["status"] == "pending"


def test_waiting_on_another_users_job_is_not_found_at_once(api, jobs):
    job, other = _pending_job(api, jobs), _pending_job(api, jobs)
    assert _wait(jobs, PendingJob(other.user, other.user_id, job.job_id), 25).status_code == 404


def test_a_wait_longer_than_the_limit_is_refused(api, jobs):
    assert _wait(jobs, _pending_job(api, jobs), 31).status_code == 422


# --- the public long poll: GET /api/v1/jobs/{id}?wait_seconds=N ----------------------------

def _long_poll(api, user: User, job_id: int, seconds: Any, **request: Any) -> httpx.Response:
    return api.get(f"/api/v1/jobs/{job_id}", headers=user.headers,
                   params={"wait_seconds": seconds}, **request)


def test_a_long_poll_answers_when_the_job_ends_not_when_the_wait_does(api, jobs):
    job = _pending_job(api, jobs)
    answer = _answer_to_a_wait_cut_short(
        lambda: _long_poll(api, job.user, job.job_id, 25, timeout=10),
        lambda: api.post(f"/api/v1/jobs/{job.job_id}/cancel", headers=job.user.headers))
    assert answer["id"] == job.job_id and answer["status"] == "cancelled", answer


def test_a_long_poll_on_a_job_that_does_not_end_gives_its_document_after_the_wait(api, jobs):
    job = _pending_job(api, jobs)
    waited = _long_poll(api, job.user, job.job_id, 0.3)
    assert waited.status_code == 200, waited.text
    assert waited.json() == api.get(f"/api/v1/jobs/{job.job_id}",
                                    headers=job.user.headers).json()
    assert waited.json()["status"] == "pending"


def test_a_long_poll_is_refused_past_its_limit_and_on_another_users_job(api, jobs):
    job = _pending_job(api, jobs)
    for seconds in (-1, 31, "soon"):
        response = _long_poll(api, job.user, job.job_id, seconds)
        assert response.status_code == 422, response.text
        assert "wait_seconds" in response.text
    intruder = register_and_login(api, prefix="intruder")
    assert _long_poll(api, intruder, job.job_id, 25).status_code == 404
