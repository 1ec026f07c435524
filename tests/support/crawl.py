"""Crawl-job calls the crawl and validation tests share (seed 004's routes)."""

import hashlib
from typing import Any

import httpx

from tests.support.api import User, wait_for_status

PROGRESS = "/api/v1/jobs/{id}/progress"


def create(api: httpx.Client, user: User, **body: Any) -> httpx.Response:
    return api.post("/api/v1/jobs", headers=user.headers,
                    json={"name": "cats", "keywords": ["cat"], **body})


def start(api: httpx.Client, user: User, job_id: int) -> httpx.Response:
    return api.post(f"/api/v1/jobs/{job_id}/start", headers=user.headers)


def images(api: httpx.Client, user: User, job_id: int, **filters: Any) -> dict[str, Any]:
    response = api.get(f"/api/v1/jobs/{job_id}/images", headers=user.headers, params=filters)
    assert response.status_code == 200, response.text
    return response.json()


def crawl_to_completion(api: httpx.Client, user: User, **body: Any) -> int:
    """Create and start a crawl job, wait until it completed; its id."""
    created = create(api, user, **body)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert start(api, user, job_id).status_code == 200
    progress = wait_for_status(api, user, job_id, statuses={"completed", "failed"},
                               path=PROGRESS)
    assert progress["status"] == "completed", progress
    return int(job_id)


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
