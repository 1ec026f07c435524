"""Seed 001's whole flow over HTTP, against real processes."""

import subprocess
import sys

from tests.support.api import balance, confirm_pdf, register_and_login, start_pdf, wait_for_status
from tests.support.pdfs import make_document
from tests.support.stack import REPO_ROOT


def test_register_grant_confirm_process_finalize(api, stack, fake_gemini):
    user = register_and_login(api)
    granted = subprocess.run([sys.executable, "-m", "shared.cli", "grant-credits", user.email,
                              "50"], cwd=REPO_ROOT, env=stack.env, capture_output=True, text=True)
    assert granted.returncode == 0, granted.stderr
    assert balance(api, user)["balance"] == 150

    pdf, sentences = make_document(12)
    confirmed = confirm_pdf(api, user, pdf, name="novel.pdf")
    assert confirmed.status_code == 201, confirmed.text
    body = confirmed.json()
    assert body == {"job_id": body["job_id"], "status": "pending", "page_count": 12,
                    "estimated_credits": 12}
    job_id = body["job_id"]
    assert balance(api, user)["balance"] == 138

    started = start_pdf(api, user, job_id, pdf, gemini_model="balanced")
    assert started.status_code == 202, started.text
    start_body = started.json()
    assert start_body["job_id"] == job_id and start_body["status"] == "pending"
    assert start_body["task_id"].startswith(f"job_{job_id}_")
    assert start_body["message"] == "PDF processing started"

    done = wait_for_status(api, user, job_id, statuses={"completed", "failed"})
    assert done["status"] == "completed", done
    assert done["progress_percent"] == 100
    assert done["original_filename"] == "novel.pdf"
    assert done["total_chunks"] == 1 and done["processed_chunks"] == 1
    assert done["failed_chunks"] == [] and done["partial"] is False
    assert done["gemini_api_calls"] == 2  # 60 sentences in batches of 50
    assert done["model"] == "gemini-2.5-flash"
    # ... and no crawl fields.
    progress = api.get(f"/api/v1/jobs/{job_id}/progress", headers=user.headers).json()
    assert progress["completed_chunks"] == 1 and "downloaded_images" not in progress
    assert done["gemini_tokens_used"] == sum(len(s.split()) for s in sentences)
    assert done["model"] == "gemini-2.5-flash"

    result = api.get(f"/api/v1/jobs/{job_id}/result", headers=user.headers).json()
    assert result["sentences"] == sentences
    text = api.get(f"/api/v1/jobs/{job_id}/result?format=txt", headers=user.headers).text
    assert text.splitlines() == sentences

    finalized = api.post(f"/api/v1/jobs/{job_id}/finalize", headers=user.headers)
    assert finalized.status_code == 200, finalized.text
    assert finalized.json()["charged_credits"] == 12
    again = api.post(f"/api/v1/jobs/{job_id}/finalize", headers=user.headers)
    assert again.status_code == 200 and again.json()["charged_credits"] == 12
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (138, 0)
    job_entries = [(e["entry_type"], e["amount"]) for e in credits["ledger"]
                   if e["job_id"] == job_id]
    assert sorted(job_entries) == [("charge", 12), ("release", 0), ("reserve", 12)]

    events = api.get(f"/api/v1/jobs/{job_id}/events", headers=user.headers).json()["events"]
    transitions = [(e["from_status"], e["to_status"]) for e in events
                   if e["event_type"] == "status"]
    assert transitions[:4] == [(None, "pending"), ("pending", "queued"),
                               ("queued", "running"), ("running", "completed")]
