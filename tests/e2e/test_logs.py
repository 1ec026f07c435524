"""Logs as an operator collects them: LOG_FORMAT=json, one object a line, each line of a
request carrying its request id (the caller's X-Request-ID, echoed back, and passed on to
the job service), and beat quiet while it has nothing to do. Real processes, read from
their own log files."""

import json
import os
import sys
import time
from typing import Any

import httpx
import pytest

from tests.support.api import confirm_pdf, register_and_login
from tests.support.pdfs import make_document
from tests.support.stack import Process, Stack, free_port, wait_http


def _start_api_logging_info(stack: Stack) -> None:
    """Stack.start_api, but with uvicorn at INFO: its access lines are lines of a request."""
    jobs_port, gateway_port = free_port(), free_port()
    stack.jobs_url = f"http://127.0.0.1:{jobs_port}"
    stack.gateway_url = f"http://127.0.0.1:{gateway_port}"
    stack.env["JOBS_SERVICE_URL"] = stack.jobs_url
    for name, app, port in (("jobs", "services.jobs.main:app", jobs_port),
                            ("gateway", "services.gateway.main:app", gateway_port)):
        stack.spawn(name, [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1",
                           "--port", str(port), "--log-level", "info"])
    wait_http(f"{stack.jobs_url}/health", stack)
    wait_http(f"{stack.gateway_url}/health", stack)


@pytest.fixture
def json_stack(database, tmp_path):
    stack = Stack(env={**os.environ, "LOG_FORMAT": "json"}, log_dir=tmp_path)
    try:
        _start_api_logging_info(stack)
        stack.start_beat()
        yield stack
    finally:
        stack.stop_all()


def _lines(stack: Stack, name: str) -> list[dict[str, Any]]:
    process: Process = next(p for p in stack.processes if p.name == name)
    text = process.log_path.read_text(errors="replace")
    # Celery's start-up banner is printed, not logged; every logged line is JSON.
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_every_line_of_a_request_carries_its_id_across_services(json_stack: Stack) -> None:
    with httpx.Client(base_url=json_stack.gateway_url, timeout=60) as api:
        user = register_and_login(api)
        made = api.get("/health")
        assert len(made.headers["X-Request-ID"]) == 32  # made when the caller sent none
        pdf, _ = make_document(2)
        confirmed = confirm_pdf(api, user, pdf, headers={"X-Request-ID": "trace-4711"})
        assert confirmed.status_code == 201, confirmed.text
        assert confirmed.headers["X-Request-ID"] == "trace-4711"
        job_id = confirmed.json()["job_id"]
        # A header that could forge log lines is replaced, not echoed.
        odd = api.get("/health", headers={"X-Request-ID": "a b\tc"})
        assert odd.headers["X-Request-ID"] != "a b\tc"
    time.sleep(0.5)  # the access line is flushed after the answer
    gateway = [line for line in _lines(json_stack, "gateway")
               if line.get("request_id") == "trace-4711"]
    assert gateway and all(line["service"] == "gateway" for line in gateway)
    assert any("POST /api/v1/jobs/confirm" in line["message"] for line in gateway), gateway
    created = [line for line in _lines(json_stack, "jobs")
               if "job created" in line["message"]]
    assert created and created[-1]["request_id"] == "trace-4711", created
    assert (created[-1]["job_id"], created[-1]["level"]) == (job_id, "INFO")
    assert created[-1]["user_id"] == user.id


def test_beat_says_nothing_at_info_while_it_has_nothing_to_do(json_stack: Stack) -> None:
    time.sleep(6)  # the relay runs every second here, the reaper too
    periodic = ("maintenance.", "relay", "reap", "webhook")  # every beat task, by name
    chatter = [line for line in _lines(json_stack, "beat")
               if line["level"] == "INFO" and any(word in line["message"]
                                                  for word in periodic)]
    assert chatter == []
