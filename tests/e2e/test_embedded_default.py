"""The README's first command: `conveyor run` on the embedded default (no Postgres, no
Redis), passing the same seed flow as the Postgres stack."""

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.api import balance, confirm_pdf, register_and_login, start_pdf, wait_for_status
from tests.support.pdfs import make_flowing_document
from tests.support.receipts import make_receipt
from tests.support.stack import REPO_ROOT, free_port, stop_group
from tests.support.surfaces import encoded, shaded_surface

SERVER_ONLY = ("DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "LLM_PROVIDER", "LLM_BASE_URL")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("embedded")
    env = {k: v for k, v in os.environ.items() if k not in SERVER_ONLY}
    env.update(DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    port, jobs_port = free_port(), free_port()
    log = (data_dir / "run.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "run", "--port", str(port),
         "--jobs-port", str(jobs_port)], cwd=REPO_ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, data_dir)
        yield base, env, data_dir
    finally:
        stop_group(process, timeout=60)


def _wait_ready(base: str, process: subprocess.Popen, data_dir) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError((data_dir / "run.log").read_text(errors="replace")[-4000:])


def test_embedded_default_runs_the_seed_flow(embedded):
    base, env, data_dir = embedded
    assert (data_dir / "conveyor.db").exists()
    log = (data_dir / "run.log").read_text()
    assert "embedded (SQLite)" in log and f"API      {base}" in log
    with httpx.Client(base_url=base, timeout=60) as api:
        user = register_and_login(api)
        granted = subprocess.run([sys.executable, "-m", "shared.cli", "grant-credits",
                                  user.email, "40"], cwd=REPO_ROOT, env=env,
                                 capture_output=True, text=True)
        assert granted.returncode == 0, granted.stderr
        pdf, sentences = make_flowing_document(2300)  # about 36 pages: two chunks
        confirmed = confirm_pdf(api, user, pdf)
        assert confirmed.status_code == 201, confirmed.text
        job_id, pages = confirmed.json()["job_id"], confirmed.json()["page_count"]
        assert start_pdf(api, user, job_id, pdf).status_code == 202
        done = wait_for_status(api, user, job_id, statuses={"completed", "failed"}, timeout=120)
        assert done["status"] == "completed", done
        assert done["total_chunks"] == 2
        result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers).json()
        assert result["sentences"] == sentences
        finalized = api.post(f"/api/v1/jobs/{job_id}/finalize", headers=user.headers).json()
        assert finalized["charged_credits"] == pages
        assert balance(api, user)["balance"] == 140 - pages
    assert (data_dir / "broker.db").exists()  # the tasks went through the SQLite broker


def test_embedded_default_reads_a_receipt_and_pushes_the_event(embedded):
    """Receipts v3 and /ws need no Redis: the event feed is the job event log."""
    base, _env, _data_dir = embedded
    receipt = make_receipt(8)
    with httpx.Client(base_url=base, timeout=60) as api:
        user = register_and_login(api, prefix="embedded-receipt")
        token = user.headers["Authorization"].split(" ", 1)[1]
        with connect(base.replace("http://", "ws://") + f"/ws?token={token}") as socket:
            time.sleep(0.5)
            submitted = api.post("/api/v3/receipts/process", headers=user.headers,
                                 files={"file": ("receipt.png", receipt.image)})
            assert submitted.status_code == 202, submitted.text
            job_id = submitted.json()["data"]["job_id"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                message = json.loads(socket.recv(timeout=deadline - time.monotonic()))
                if message["event_type"] in ("receipt_processed", "receipt_failed"):
                    break
        assert message["event_type"] == "receipt_processed", message
        assert message["data"]["task_id"] == job_id
        assert message["data"]["receipt"]["total"]["value"] == receipt.expected["total"]
        status = api.get(f"/api/v3/receipts/status/{job_id}", headers=user.headers).json()
        assert status["data"]["status"] == "SUCCESS"
        health = api.get("/api/v3/receipts/health", headers=user.headers)
        assert health.status_code == 200 and health.json()["data"]["status"] == "unknown"


def test_embedded_default_recolours_an_upload(embedded):
    """The colour flow on SQLite and the embedded broker: upload, async transfer, download."""
    base, _env, _data_dir = embedded
    with httpx.Client(base_url=base, timeout=60) as api:
        user = register_and_login(api, prefix="embedded-colour")
        uploaded = api.post("/api/v1/upload", headers=user.headers,
                            files={"file": ("wall.png", encoded(shaded_surface(120, 160)))})
        assert uploaded.status_code == 201, uploaded.text
        accepted = api.post("/api/v1/process/async", headers=user.headers, json={
            "job_id": uploaded.json()["job_id"], "target_ral_code": "RAL 5024"})
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            task = api.get(accepted.json()["status_url"], headers=user.headers).json()
            if task["state"] in ("SUCCESS", "FAILURE"):
                break
            time.sleep(0.2)
        assert task["state"] == "SUCCESS", task
        assert task["result"]["qc_report"]["passed"] is True
        download = api.get(task["result"]["downloads"]["result"], headers=user.headers)
        assert download.status_code == 200 and download.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_ready_counts_workers_by_their_heartbeats(embedded):
    """The SQLite broker cannot broadcast: the workers' rows in the database say who is
    alive, and readiness says that is how it knows."""
    base, _, data_dir = embedded
    body: dict = {}
    for _ in range(20):
        body = httpx.get(f"{base}/health/ready", timeout=10).json()
        if body["status"] == "ready":
            break
        time.sleep(1)
    assert (body["status"], body["workers_seen_by"]) == ("ready", "database_heartbeats"), body
    assert all(body["workers"][queue] >= 1 for queue in
               ("pdf", "ocr", "color", "crawl", "maintenance")), body
    # Each row also says how many pool processes its worker has (`-c`): a PDF job gets no
    # more task messages than that.
    with closing(sqlite3.connect(data_dir / "conveyor.db")) as database:
        rows = database.execute("SELECT queues, slots FROM worker_heartbeat").fetchall()
    assert sorted(rows) == [("color,crawl,ocr,pdf", 2), ("maintenance", 1)]
