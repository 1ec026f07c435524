"""A small HTTP client for tests that follows the seed documents' flows."""

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

TERMINAL = {"completed", "failed", "cancelled"}


@dataclass
class User:
    email: str
    password: str
    headers: dict[str, str]
    id: int


def register_and_login(client: httpx.Client, *, prefix: str = "user") -> User:
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    password = "correct horse battery"
    response = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return User(email=email, password=password, headers=headers, id=response.json()["id"])


def confirm_pdf(client: httpx.Client, user: User, pdf: bytes, *, name: str = "doc.pdf",
                headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post("/api/v1/jobs/confirm", headers={**user.headers, **(headers or {})},
                       files={"pdf_file": (name, pdf, "application/pdf")})


def start_pdf(client: httpx.Client, user: User, job_id: int, pdf: bytes,
              **options: Any) -> httpx.Response:
    data = {"job_id": str(job_id), **{k: str(v) for k, v in options.items()}}
    return client.post("/api/v1/process-pdf-async", headers=user.headers, data=data,
                       files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})


def wait_for_status(client: httpx.Client, user: User, job_id: int, *, statuses: set[str],
                    timeout: float = 120, path: str = "/api/v1/jobs/{id}") -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(path.format(id=job_id), headers=user.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {statuses}; last: {body}")


def balance(client: httpx.Client, user: User) -> dict[str, Any]:
    response = client.get("/api/v1/credits", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()
