"""The page-OCR flows of seed 003 over HTTP: projects, uploads, tasks, results."""

import time
from typing import Any

import httpx

from tests.support.api import User
from tests.support.db import page_source_path
from tests.support.files import stored_path

FINISHED = ("completed", "failed", "cancelled")


def new_project(api: httpx.Client, user: User, name: str = "Harbor report") -> int:
    response = api.post("/api/v1/projects", headers=user.headers,
                        json={"name": name, "description": "scanned"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def upload(api: httpx.Client, user: User, project_id: int, content: bytes, number: int,
           name: str = "page.png") -> httpx.Response:
    return api.post(f"/api/v1/projects/{project_id}/pages", headers=user.headers,
                    data={"page_number": str(number)}, files={"file": (name, content)})


def upload_page(api: httpx.Client, user: User, project_id: int, content: bytes,
                number: int) -> int:
    """Upload one image page; its id."""
    response = upload(api, user, project_id, content, number)
    assert response.status_code == 201, response.text
    return response.json()["pages"][0]["id"]


def task_status(api: httpx.Client, user: User, task_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/tasks/status/{task_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def wait_task(api: httpx.Client, user: User, task_id: str, timeout: float = 120
              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.append(task_status(api, user, task_id))
        if seen[-1]["status"] in FINISHED:
            return seen[-1], seen
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not finish: {seen[-1]}")


def page_statuses(api: httpx.Client, user: User, project_id: int) -> dict[int, str]:
    """page id -> shown OCR status."""
    response = api.get(f"/api/v1/projects/{project_id}/pages", headers=user.headers)
    assert response.status_code == 200, response.text
    return {page["id"]: page["ocr_status"] for page in response.json()["pages"]}


def page_result(api: httpx.Client, user: User, project_id: int, page_id: int,
                fmt: str = "txt") -> httpx.Response:
    return api.get(f"/api/v1/projects/{project_id}/pages/{page_id}/result",
                   params={"format": fmt}, headers=user.headers)


def damage_stored_scan(page_id: int) -> None:
    """Cut the page's stored scan short, as a failing disk or a botched restore would
    after intake: its next read fails."""
    path = stored_path(page_source_path(page_id))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
