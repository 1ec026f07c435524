"""Push without polling, over HTTP with real workers: a job's event log as Server-Sent
Events that resume after Last-Event-ID, and /ws carrying every kind's events."""

import json
import time
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.api import User, confirm_pdf, register_and_login, start_pdf
from tests.support.pdfs import make_document
from tests.support.stack import Stack


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="stream")


def _sse(api: httpx.Client, user: User, job_id: int, *, last_event_id: int | None = None
         ) -> list[dict[str, Any]]:
    """Every event of the stream, read until the server ends it."""
    headers = dict(user.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    events, current = [], {}
    with api.stream("GET", f"/api/v1/jobs/{job_id}/stream", headers=headers,
                    timeout=60) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:  # a blank line ends an event
                if "data" in current:
                    events.append(current)
                current = {}
            elif not line.startswith(":"):  # ":" lines are keep-alive pings
                field, _, value = line.partition(":")
                current[field] = value.strip()
    return events


def _started_pdf(api: httpx.Client, user: User, pages: int = 3) -> int:
    pdf, _ = make_document(pages)
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    assert start_pdf(api, user, job_id, pdf).status_code == 202
    return int(job_id)


def test_a_stream_follows_the_job_to_its_end_and_resumes_where_it_left(
        api: httpx.Client, user: User) -> None:
    job_id = _started_pdf(api, user)

    streamed = _sse(api, user, job_id)

    # The log as the events route lists it, once the stream has ended with the job.
    logged = api.get(f"/api/v1/jobs/{job_id}/events", headers=user.headers).json()["events"]
    assert [int(e["id"]) for e in streamed] == [e["id"] for e in logged]
    assert [e["event"] for e in streamed] == [e["event_type"] for e in logged]
    assert json.loads(streamed[-1]["data"])["id"] == logged[-1]["id"]
    statuses = [json.loads(e["data"])["to_status"] for e in streamed if e["event"] == "status"]
    assert statuses[0] == "pending" and statuses[-1] == "completed", statuses

    # A client that saw the first three events reconnects: it gets the rest, and only them.
    resumed = _sse(api, user, job_id, last_event_id=int(streamed[2]["id"]))
    assert [e["id"] for e in resumed] == [e["id"] for e in streamed[3:]]


def test_a_stream_is_the_owners_and_its_resume_point_an_id(api: httpx.Client,
                                                           user: User) -> None:
    job_id = _started_pdf(api, user, pages=1)
    other = register_and_login(api, prefix="stranger")
    response = api.get(f"/api/v1/jobs/{job_id}/stream", headers=other.headers)
    assert response.status_code == 404 and response.json()["error_type"] == "NOT_FOUND"
    response = api.get(f"/api/v1/jobs/{job_id}/stream",
                       headers={**user.headers, "Last-Event-ID": "yesterday"})
    assert response.status_code == 400 and response.json()["error_type"] == "INPUT_INVALID"


def test_the_websocket_carries_other_kinds_too(api: httpx.Client, stack: Stack,
                                               user: User) -> None:
    token = user.headers["Authorization"].removeprefix("Bearer ")
    url = stack.gateway_url.replace("http://", "ws://") + f"/ws?token={token}"
    with connect(url) as socket:
        time.sleep(0.5)  # following the feed before the job exists
        job_id = _started_pdf(api, user, pages=1)
        statuses = []
        deadline = time.monotonic() + 60
        while "completed" not in statuses and time.monotonic() < deadline:
            message = json.loads(socket.recv(timeout=deadline - time.monotonic()))
            if message["data"].get("job_id") == job_id:
                assert message["event_type"] in ("job_status", "job_progress"), message
                if message["event_type"] == "job_status":
                    assert message["data"]["kind"] == "pdf"
                    statuses.append(message["data"]["status"])
    assert statuses[-1] == "completed" and "processing" in statuses, statuses
