"""The gateway keeps the contract its OpenAPI states (issue 19): schemathesis generates
requests from `/openapi.json` and sends them to the real stack as a fresh, well-funded
user; any server error or answer the schema does not describe (status, content type,
body) fails the test.

The CLI runs as a subprocess rather than through schemathesis' pytest plugin: one
command covers the examples, coverage, fuzzing and stateful phases (the last with the
links it infers from our path parameters and response bodies), and its report lists each
failure with its operation, check, answer and a curl line to reproduce it.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.api import User, register_and_login
from tests.support.stack import REPO_ROOT, Stack

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
# Bounded: 25 cases per operation and phase and a fixed seed. The whole run takes about
# 30 s here (2 cores, the full stack running beside it).
MAX_EXAMPLES = 25
SEED = 1
# Admin routes need an administrator; granting credits to random accounts is not a
# question for a fuzzer run as a plain user. An event stream lasts as long as its job, and
# the fuzzer's crawl jobs are never started: tests/e2e/test_event_streams.py covers it.
EXCLUDED_PATHS = r"^/api/v1/admin/|/stream$"
# A long poll on a pending job (the fuzzer's jobs stay pending) waits out its whole
# `wait_seconds`, up to 30 s a case: every case asks for 0.2 s, which still takes the
# waiting path. tests/e2e/test_job_wait.py and test_color_transfer.py cover the bounds.
CONFIG = '[parameters]\n"query.wait_seconds" = "0.2"\n'
# Routes that start real work reserve credits: enough that 402 never hides other answers.
CREDITS = 1_000_000
RUN_TIMEOUT_SECONDS = 300
# Statuses of jobs the fuzzer may leave behind (a crawl it created and started): cancelled
# afterwards, so that the tests after this one find idle workers.
UNFINISHED = ("pending", "processing")

pytestmark = pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 120)


def _grant(stack: Stack, user: User, amount: int) -> None:
    granted = subprocess.run([sys.executable, "-m", "shared.cli", "grant-credits", user.email,
                              str(amount)], cwd=REPO_ROOT, env=stack.env, capture_output=True,
                             text=True)
    assert granted.returncode == 0, granted.stderr


def _schemathesis(stack: Stack, user: User, report_dir: Path) -> list[str]:
    config = report_dir / "schemathesis.toml"
    config.write_text(CONFIG)
    return [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config),
            "run",
            f"{stack.gateway_url}/openapi.json",
            "--checks", ",".join(CHECKS),
            "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
            # Every unique failure of an operation, not only its first: one run lists all
            # that the routes must declare.
            "--continue-on-failure",
            "--header", f"Authorization: {user.headers['Authorization']}",
            "--exclude-path-regex", EXCLUDED_PATHS,
            # The same cases every run: no example database carried over between runs.
            "--generation-database", "none",
            "--request-timeout", "60",
            "--report", "junit", "--report-dir", str(report_dir)]


def _cancel_unfinished(api: httpx.Client, user: User) -> None:
    for status in UNFINISHED:
        listed = api.get("/api/v1/jobs", headers=user.headers,
                         params={"status": status, "limit": 200})
        assert listed.status_code == 200, listed.text
        for job in listed.json()["jobs"]:
            api.post(f"/api/v1/jobs/{job['id']}/cancel", headers=user.headers)


def test_gateway_answers_as_its_openapi_says(stack: Stack, api: httpx.Client,
                                             tmp_path: Path) -> None:
    user = register_and_login(api, prefix="schemathesis")
    _grant(stack, user, CREDITS)
    started = time.monotonic()
    try:
        run = subprocess.run(_schemathesis(stack, user, tmp_path), cwd=tmp_path,
                             env={**os.environ, "COLUMNS": "120"}, capture_output=True,
                             text=True, timeout=RUN_TIMEOUT_SECONDS)
    finally:
        _cancel_unfinished(api, user)
    elapsed = time.monotonic() - started
    report = tmp_path / "schemathesis.log"
    report.write_text(run.stdout + run.stderr)
    assert run.returncode == 0, (
        f"schemathesis found failures (exit {run.returncode}, {elapsed:.0f} s; its whole "
        f"output is in {report}):\n{run.stdout}\n{run.stderr}")
