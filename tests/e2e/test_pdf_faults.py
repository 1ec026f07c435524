"""Cancel mid-run, a worker killed mid-chunk, the same message delivered twice."""

import os
import signal
import time

from shared.celery_app import TaskName, create_celery_app
from tests.support import db
from tests.support.api import (
    balance,
    confirm_pdf,
    register_and_login,
    start_pdf,
    wait_for_status,
)
from tests.support.fake_gemini import SLOW_MODEL
from tests.support.pdfs import make_document, make_flowing_document


def _start(api, user, pdf: bytes, **options) -> int:
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    assert start_pdf(api, user, job_id, pdf, **options).status_code == 202
    return job_id


def _wait(predicate, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def _calls_settle(fake, quiet_for: float = 1.5, timeout: float = 10) -> int:
    """Wait until the slow model gets no new calls for `quiet_for` seconds."""
    deadline = time.monotonic() + timeout
    last, since = fake.call_count(SLOW_MODEL), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = fake.call_count(SLOW_MODEL)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            return now
    raise AssertionError("the workers kept calling the provider after cancel")


def test_cancel_mid_run_stops_workers_and_refunds_once(api, stack, fake_gemini):
    user = register_and_login(api)
    pdf, _ = make_flowing_document(2500)  # about 40 pages: two chunks, both in flight
    before = fake_gemini.call_count(SLOW_MODEL)
    job_id = _start(api, user, pdf, gemini_model="quality")
    _wait(lambda: fake_gemini.call_count(SLOW_MODEL) >= before + 2)

    cancelled = api.post(f"/api/v1/jobs/{job_id}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["revoked_tasks"] == 2
    assert body["message"] == "Job cancelled successfully"

    stopped_at = _calls_settle(fake_gemini)
    assert stopped_at - before < 20  # far fewer than the 50 calls the job needed
    time.sleep(1.5)
    assert fake_gemini.call_count(SLOW_MODEL) == stopped_at

    job = api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()
    assert job["status"] == "cancelled"
    assert {c.status.value for c in db.chunks(job_id)} == {"cancelled"}
    assert db.ledger_for_job(job_id) == [("reserve", job["page_count"]),
                                         ("release", job["page_count"])]
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100, 0)
    again = api.post(f"/api/v1/jobs/{job_id}/cancel", headers=user.headers)
    assert again.status_code == 400
    assert again.json()["detail"] == "Cannot cancel job with status: cancelled"
    assert api.post(f"/api/v1/jobs/{job_id}/finalize", headers=user.headers).status_code == 400


def test_worker_killed_mid_chunk_is_redelivered_and_charged_once(api, stack, fake_gemini):
    user = register_and_login(api)
    pdf, sentences = make_flowing_document(1200)  # about 19 pages: one chunk
    before = fake_gemini.call_count(SLOW_MODEL)
    job_id = _start(api, user, pdf, gemini_model="quality")
    _wait(lambda: fake_gemini.call_count(SLOW_MODEL) >= before + 2)
    [chunk] = db.chunks(job_id)
    assert chunk.status.value == "running" and chunk.worker_id
    os.kill(int(chunk.worker_id.rsplit(":", 1)[1]), signal.SIGKILL)

    done = wait_for_status(api, user, job_id, statuses={"completed", "failed"}, timeout=90)
    assert done["status"] == "completed", done
    [chunk] = db.chunks(job_id)
    assert chunk.attempts == 2
    result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers).json()
    assert result["sentences"] == sentences
    events = api.get(f"/api/v1/jobs/{job_id}/events", headers=user.headers).json()["events"]
    kinds = [e["event_type"] for e in events]
    assert kinds.count("worker_lost") == 1 and kinds.count("attempt") == 2
    api.post(f"/api/v1/jobs/{job_id}/finalize", headers=user.headers)
    pages = done["page_count"]
    assert db.ledger_for_job(job_id) == [("reserve", pages), ("charge", pages), ("release", 0)]


def test_same_task_message_delivered_twice_changes_nothing(api, stack):
    user = register_and_login(api)
    pdf, sentences = make_document(4)
    job_id = _start(api, user, pdf)
    [chunk] = _wait(lambda: db.chunks(job_id))
    publisher = create_celery_app("test-duplicate-publisher")
    duplicate = {"chunk_id": chunk.id, "attempt": 1}
    for _ in range(2):
        publisher.send_task(TaskName.PDF_PROCESS_CHUNK.value, kwargs=duplicate)
    done = wait_for_status(api, user, job_id, statuses={"completed", "failed"})
    publisher.send_task(TaskName.PDF_PROCESS_CHUNK.value, kwargs=duplicate)
    time.sleep(2)  # let the late duplicates reach a worker and be dropped

    assert done["status"] == "completed"
    [chunk] = db.chunks(job_id)
    assert chunk.attempts == 1
    result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers).json()
    assert result["sentences"] == sentences
    events = api.get(f"/api/v1/jobs/{job_id}/events", headers=user.headers).json()["events"]
    assert [e["event_type"] for e in events].count("attempt") == 1
    assert api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()["status"] == "completed"
    assert db.ledger_for_job(job_id) == [("reserve", 4)]
