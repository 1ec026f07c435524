"""Page tasks that are cancelled or fail, over HTTP with real OCR workers (seed 003): the
pages read are kept, shown and charged; a page's earlier result is never lost."""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shared.settings import get_settings
from tests.support.api import User, balance, register_and_login
from tests.support.db import job_id_of
from tests.support.pages import (
    damage_stored_scan,
    new_project,
    page_result,
    page_statuses,
    task_status,
    upload_page,
    wait_task,
)
from tests.support.scans import page_lines, scan

# A page takes the OCR workers a few tenths of a second: a batch this long is still
# reading when the first page is done and the cancel goes out.
BATCH_PAGES = 16
# A worker that had a page in hand when the cancel went out finishes reading it well
# within this; what it read must then be thrown away.
IN_HAND_SECONDS = 2.0


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="cancel")


def queue_batch(api: httpx.Client, user: User, project: int, page_ids: list[int]) -> str:
    response = api.post(f"/api/v1/tasks/projects/{project}/process-batch",
                        headers=user.headers, json={"page_ids": page_ids})
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def queue_page(api: httpx.Client, user: User, project: int, page_id: int) -> str:
    response = api.post(f"/api/v1/tasks/projects/{project}/process-page/{page_id}",
                        headers=user.headers)
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def cancel(api: httpx.Client, user: User, task_id: str) -> None:
    response = api.post(f"/api/v1/tasks/cancel/{task_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"


def poll_until(api: httpx.Client, user: User, task_id: str,
               done: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = task_status(api, user, task_id)
        if done(status):
            return status
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} never got there: {status}")


def job_ledger(api: httpx.Client, user: User, task_id: str) -> list[tuple[str, int]]:
    """The task's credit movements, oldest first, as GET /api/v1/credits lists them."""
    job_id = job_id_of(task_id)
    entries = balance(api, user)["ledger"]  # newest first
    return [(e["entry_type"], e["amount"]) for e in reversed(entries) if e["job_id"] == job_id]


def test_cancel_mid_batch_keeps_shows_and_charges_the_pages_read(api, user):
    project = new_project(api, user)
    numbers = range(1, BATCH_PAGES + 1)
    ids = [upload_page(api, user, project, scan(page_lines(n)), n) for n in numbers]
    number_of = dict(zip(ids, numbers, strict=True))
    task = queue_batch(api, user, project, ids)
    running = poll_until(api, user, task, lambda s: s["current"] >= 1 or s.get("result"))
    assert running["status"] == "processing", "the batch ended before it could be cancelled"
    cancel(api, user, task)

    final, _ = wait_task(api, user, task)
    assert final["status"] == "cancelled"
    result = final["result"]
    by_id = {entry["page_id"]: entry for entry in result["results"]}
    assert list(by_id) == ids, "one entry per page, in task order"
    read = [page_id for page_id in ids if by_id[page_id]["status"] == "completed"]
    unread = [page_id for page_id in ids if page_id not in read]
    assert read, "the page done before the cancel counts as read"
    assert unread, "the cancel came while pages were still unread"
    assert {by_id[page_id]["status"] for page_id in unread} == {"cancelled"}
    assert (result["total"], result["completed"], result["failed"]) == \
        (BATCH_PAGES, len(read), 0)
    for page_id in read:
        assert f"Page {number_of[page_id]} of the harbor report" in by_id[page_id]["text"]

    time.sleep(IN_HAND_SECONDS)  # a page in hand at the cancel is read to its end, then dropped
    assert task_status(api, user, task) == final, "the task's outcome was final at once"
    statuses = page_statuses(api, user, project)
    assert {page_id: statuses[page_id] for page_id in ids} == \
        {page_id: "completed" if page_id in read else "cancelled" for page_id in ids}
    for page_id in read:
        served = page_result(api, user, project, page_id)
        assert served.status_code == 200, served.text
        assert f"Page {number_of[page_id]} of the harbor report" in served.text
    for page_id in unread:
        refused = page_result(api, user, project, page_id)
        assert refused.status_code == 400 and refused.json()["error_type"] == "INVALID_STATE"

    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100 - len(read), 0)
    assert job_ledger(api, user, task) == [
        ("reserve", BATCH_PAGES), ("charge", len(read)), ("release", BATCH_PAGES - len(read))]
    again = api.post(f"/api/v1/tasks/cancel/{task}", headers=user.headers)
    assert again.status_code == 400 and again.json()["error_type"] == "INVALID_STATE"
    assert balance(api, user)["balance"] == 100 - len(read), "charged once"


def test_an_earlier_result_survives_a_cancelled_batch_and_a_failed_reread(api, user):
    project = new_project(api, user)
    kept = upload_page(api, user, project, scan(page_lines(1)), 1)
    first, _ = wait_task(api, user, queue_page(api, user, project, kept))
    assert first["status"] == "completed", first
    earlier = {fmt: page_result(api, user, project, kept, fmt) for fmt in ("txt", "json", "hocr")}
    assert all(r.status_code == 200 for r in earlier.values())
    assert "Page 1 of the harbor report" in earlier["txt"].text

    # A later batch that is cancelled before it reaches the page: the page comes after
    # more pages than the batch reads at once, so it waits for a free slot.
    ahead = [upload_page(api, user, project, scan(page_lines(n)), n)
             for n in range(2, get_settings().page_batch_parallelism + 6)]
    batch = queue_batch(api, user, project, [*ahead, kept])
    assert page_statuses(api, user, project)[kept] == "queued"
    assert page_result(api, user, project, kept, "txt").text == earlier["txt"].text, \
        "a page queued again still serves its result"
    cancel(api, user, batch)
    final, _ = wait_task(api, user, batch)
    assert final["status"] == "cancelled"
    assert final["result"]["results"][-1] == {"page_id": kept, "page_number": 1,
                                              "status": "cancelled"}, "this task never read it"
    assert page_statuses(api, user, project)[kept] == "completed"
    for fmt, response in earlier.items():
        assert page_result(api, user, project, kept, fmt).content == response.content, fmt
    read_by_batch = final["result"]["completed"]

    # A later re-read that fails: the page says so; its earlier result is still served.
    damage_stored_scan(kept)
    reread, _ = wait_task(api, user, queue_page(api, user, project, kept))
    assert (reread["status"], reread["error_type"]) == ("failed", "INPUT_INVALID"), reread
    page = api.get(f"/api/v1/projects/{project}/pages/{kept}", headers=user.headers).json()
    assert (page["ocr_status"], page["ocr_error_type"]) == ("failed", "INPUT_INVALID")
    assert "could not be decoded" in page["ocr_error"]
    for fmt, response in earlier.items():
        assert page_result(api, user, project, kept, fmt).content == response.content, fmt

    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100 - 1 - read_by_batch, 0), \
        "the first read and the pages the batch read; nothing for the failed re-read"
