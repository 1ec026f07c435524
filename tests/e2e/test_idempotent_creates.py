"""Every job-creating route honours an Idempotency-Key over HTTP: the same key and request
again is the first job with the first answer, reserved once; the same key with another
request is 409 IDEMPOTENCY_CONFLICT; keys are per user. (PDF and receipts:
test_idempotency_and_limits.py, test_receipts_v3.py.)"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.api import User, balance, register_and_login, wait_for_status
from tests.support.crawl import PROGRESS, crawl_to_completion
from tests.support.crawl import create as create_crawl
from tests.support.db import chunks, job_id_of, ledger_for_job
from tests.support.fake_web import FakeWeb
from tests.support.pages import new_project, upload_page, wait_task
from tests.support.scans import page_lines, scan
from tests.support.surfaces import encoded, shaded_surface

Send = Callable[[dict[str, Any], dict[str, str]], httpx.Response]


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="idem-all")


def keyed(user: User, key: str) -> dict[str, str]:
    return {**user.headers, "Idempotency-Key": key}


def assert_replayed(send: Send, body: dict[str, Any], other_body: dict[str, Any],
                    headers: dict[str, str], *, status: int) -> dict[str, Any]:
    """The same key twice: one answer, given twice (with the job's status as it is by
    then: a fast worker may have moved it on); with another body: 409."""
    first = send(body, headers)
    assert first.status_code == status, first.text
    again = send(body, headers)
    assert again.status_code == status, again.text
    assert _without_status(again.json()) == _without_status(first.json())
    conflict = send(other_body, headers)
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["error_type"] == "IDEMPOTENCY_CONFLICT"
    return dict(first.json())


def _without_status(answer: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in answer.items()
            if name not in ("status", "state", "progress")}


def reserves(job_id: int) -> list[tuple[str, int]]:
    return [entry for entry in ledger_for_job(job_id) if entry[0] == "reserve"]


def jobs_of(api: httpx.Client, user: User, kind: str) -> list[int]:
    listed = api.get("/api/v1/jobs", headers=user.headers, params={"kind": kind}).json()
    return [job["id"] for job in listed["jobs"]]


# --- colour -------------------------------------------------------------------------------

def colour_upload(api: httpx.Client, user: User) -> str:
    response = api.post("/api/v1/upload", headers=user.headers,
                        files={"file": ("wall.png", encoded(shaded_surface(60, 80)))})
    assert response.status_code == 201, response.text
    return str(response.json()["job_id"])


def test_a_colour_transfer_with_one_key_is_one_task(api: httpx.Client, user: User) -> None:
    upload_id = colour_upload(api, user)
    body = {"job_id": upload_id, "target_ral_code": "RAL 3000"}

    def send(json: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return api.post("/api/v1/process/async", headers=headers, json=json)

    accepted = assert_replayed(send, body, {**body, "strength": 0.5}, keyed(user, "colour-1"),
                               status=202)
    job_id = job_id_of(accepted["task_id"])
    assert reserves(job_id) == [("reserve", 2)]
    assert jobs_of(api, user, "color_transfer") == [job_id]
    # The sync route is another request: the same key there is a conflict.
    sync = api.post("/api/v1/process/reinhard", headers=keyed(user, "colour-1"), json=body)
    assert sync.status_code == 409 and sync.json()["error_type"] == "IDEMPOTENCY_CONFLICT"

    other = register_and_login(api, prefix="idem-all-other")
    theirs = send({**body, "job_id": colour_upload(api, other)}, keyed(other, "colour-1"))
    assert theirs.status_code == 202, theirs.text
    assert theirs.json()["task_id"] != accepted["task_id"]
    assert jobs_of(api, other, "color_transfer") == [job_id_of(theirs.json()["task_id"])]


def test_a_sync_colour_transfer_with_one_key_waits_for_one_task(api: httpx.Client,
                                                                user: User) -> None:
    upload_id = colour_upload(api, user)
    body = {"job_id": upload_id, "target_ral_code": "RAL 6018"}

    def send(json: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return api.post("/api/v1/process/reinhard", headers=headers, json=json, timeout=120)

    result = assert_replayed(send, body, {**body, "target_ral_code": "RAL 5015"},
                             keyed(user, "reinhard-1"), status=200)
    job_id = job_id_of(result["task_id"])
    assert reserves(job_id) == [("reserve", 2)]
    assert jobs_of(api, user, "color_transfer") == [job_id]
    assert balance(api, user)["balance"] == 98


# --- page tasks ---------------------------------------------------------------------------

def test_a_page_task_with_one_key_is_one_task(api: httpx.Client, user: User) -> None:
    project = new_project(api, user)
    first_page = upload_page(api, user, project, scan(page_lines(1)), 1)
    second_page = upload_page(api, user, project, scan(page_lines(2)), 2)
    path = f"/api/v1/tasks/projects/{project}/process-page/"

    def send(json: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return api.post(path + str(json["page_id"]), headers=headers)

    queued = assert_replayed(send, {"page_id": first_page}, {"page_id": second_page},
                             keyed(user, "page-1"), status=202)
    job_id = job_id_of(queued["task_id"])
    assert reserves(job_id) == [("reserve", 1)] and len(chunks(job_id)) == 1
    assert jobs_of(api, user, "page_ocr") == [job_id]
    ended, _ = wait_task(api, user, queued["task_id"])
    assert ended["status"] == "completed", ended
    # Ended, it is still the key's task: answered again, not queued again.
    again = send({"page_id": first_page}, keyed(user, "page-1"))
    assert again.status_code == 202 and again.json()["task_id"] == queued["task_id"]
    assert jobs_of(api, user, "page_ocr") == [job_id]
    assert balance(api, user)["balance"] == 99


def test_a_page_batch_with_one_key_is_one_task(api: httpx.Client, user: User) -> None:
    project = new_project(api, user)
    pages = [upload_page(api, user, project, scan(page_lines(n)), n) for n in (1, 2)]
    path = f"/api/v1/tasks/projects/{project}/process-batch"

    def send(json: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return api.post(path, headers=headers, json=json)

    queued = assert_replayed(send, {"page_ids": pages}, {"page_ids": pages[:1]},
                             keyed(user, "batch-1"), status=202)
    job_id = job_id_of(queued["task_id"])
    assert queued["page_ids"] == pages and len(chunks(job_id)) == 2
    assert reserves(job_id) == [("reserve", 2)]
    assert jobs_of(api, user, "page_batch") == [job_id]
    ended, _ = wait_task(api, user, queued["task_id"])
    assert ended["status"] == "completed", ended
    assert balance(api, user)["balance"] == 98


# --- crawl jobs and validation runs -------------------------------------------------------

def test_a_crawl_job_with_one_key_is_one_job(api: httpx.Client, user: User) -> None:
    body = {"keywords": ["cat"], "engines": ["bing"], "max_images": 5}

    def send(json: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return api.post("/api/v1/jobs", headers=headers, json=json)

    created = assert_replayed(send, body, {**body, "max_images": 6}, keyed(user, "crawl-1"),
                              status=201)
    assert ledger_for_job(created["id"]) == [("reserve", 5)]
    assert jobs_of(api, user, "crawl") == [created["id"]]
    assert balance(api, user)["balance"] == 95
    hooked = send({**body, "callback_url": "http://127.0.0.1:9/hook"}, keyed(user, "crawl-1"))
    assert hooked.status_code == 409, "another callback is another request"

    other = register_and_login(api, prefix="idem-all-other")
    theirs = send(body, keyed(other, "crawl-1"))
    assert theirs.status_code == 201 and theirs.json()["id"] != created["id"]
    assert balance(api, other)["balance"] == 95


def test_a_validation_run_with_one_key_is_one_run(api: httpx.Client, user: User,
                                                  fake_web: FakeWeb) -> None:
    crawl_id = crawl_to_completion(api, user, keywords=["bird"], engines=["web"],
                                   max_images=20, seed_urls=[f"{fake_web.url}/dataset.html"])
    path = f"/api/v1/validation/job/{crawl_id}/"

    def send(json: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return api.post(path, headers=headers, json=json)

    # The repeat comes while the run is unfinished: it is that run, not a second refused.
    started = assert_replayed(send, {"level": "slow"}, {"level": "fast"},
                              keyed(user, "validate-1"), status=200)
    run_id = started["validation_job_id"]
    unkeyed = send({"level": "slow"}, user.headers)
    assert unkeyed.status_code == 409 and unkeyed.json()["error_type"] == "CONFLICT"
    assert jobs_of(api, user, "validation") == [run_id]
    assert ledger_for_job(run_id) == [("reserve", 0)]  # one run, reserved once
    wait_for_status(api, user, run_id, statuses={"completed"}, path=PROGRESS)
    again = send({"level": "slow"}, keyed(user, "validate-1"))
    assert again.status_code == 200 and again.json() == started
    assert jobs_of(api, user, "validation") == [run_id]


def test_an_unkeyed_crawl_create_is_a_new_job_each_time(api: httpx.Client,
                                                        user: User) -> None:
    ids = {create_crawl(api, user, engines=["bing"], max_images=2).json()["id"]
           for _ in range(2)}
    assert len(ids) == 2
