"""Projects of scanned pages and batch OCR over HTTP (seed 003), with real OCR workers."""

import time

import httpx
import pytest

from tests.support.api import User, balance, register_and_login
from tests.support.db import chunks, job_id_of
from tests.support.pages import damage_stored_scan, new_project, upload, wait_task
from tests.support.pdfs import make_pdf
from tests.support.scans import character_error_rate, page_lines, scan, truncated_scan, turned


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="pages")


def test_batch_with_a_corrupt_page_and_a_pdf(api, user):
    project = new_project(api, user)
    page_ids = [upload(api, user, project, scan(page_lines(n)), n).json()["pages"][0]["id"]
                for n in (1, 2, 3)]
    bad = upload(api, user, project, scan(page_lines(4)), 4)
    assert bad.status_code == 201, bad.text
    damage_stored_scan(bad.json()["pages"][0]["id"])  # it decoded at intake, not now
    pdf = make_pdf([["Page ten speaks of the lantern."], ["Page eleven of the meadow."]])
    from_pdf = upload(api, user, project, pdf, 10, name="two.pdf").json()
    assert [p["page_number"] for p in from_pdf["pages"]] == [10, 11]
    assert all(p["source"] == "pdf" for p in from_pdf["pages"])
    all_ids = [*page_ids, bad.json()["pages"][0]["id"], *(p["id"] for p in from_pdf["pages"])]

    queued = api.post(f"/api/v1/tasks/projects/{project}/process-batch", headers=user.headers,
                      json={"page_ids": all_ids})
    assert queued.status_code == 202, queued.text
    body = queued.json()
    assert body["status"] == "queued" and body["total_pages"] == 6
    assert body["page_ids"] == all_ids

    final, seen = wait_task(api, user, body["task_id"])
    assert final["status"] == "completed", final
    assert all({"task_id", "status", "current", "total"} <= set(s) for s in seen)
    assert all(s["total"] == 6 for s in seen)
    result = final["result"]
    assert (result["total"], result["completed"], result["failed"]) == (6, 5, 1)
    assert final["partial"] is True
    assert final["message"] == "1 of 6 pages failed; their errors are in result.results"
    by_number = {r["page_number"]: r for r in result["results"]}
    assert by_number[4]["status"] == "failed"
    assert by_number[4]["error_type"] == "INPUT_INVALID"
    assert "could not be decoded" in by_number[4]["error"]
    assert "Page 2 of the harbor report" in by_number[2]["text"]
    assert "lantern" in by_number[10]["text"] and "meadow" in by_number[11]["text"]
    assert balance(api, user)["balance"] == 95, "charged for the five pages read"

    listed = api.get(f"/api/v1/projects/{project}/pages", headers=user.headers).json()
    statuses = {p["page_number"]: p["ocr_status"] for p in listed["pages"]}
    assert statuses == {1: "completed", 2: "completed", 3: "completed", 4: "failed",
                        10: "completed", 11: "completed"}
    failed_page = next(p for p in listed["pages"] if p["page_number"] == 4)
    assert failed_page["ocr_error_type"] == "INPUT_INVALID" and failed_page["ocr_error"]
    assert all(p["task_id"] == body["task_id"] for p in listed["pages"])
    summary = api.get(f"/api/v1/projects/{project}", headers=user.headers).json()
    assert summary["page_count"] == 6
    assert summary["pages_by_status"] == {"completed": 5, "failed": 1}
    workers = {c.worker_id for c in chunks(job_id_of(body["task_id"]))}
    assert len(workers) >= 2, "the batch's pages were shared by several worker processes"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_scan_is_refused_at_upload(api, user, fmt):
    """Its header is fine, its data stops early: 400 at once, no page, nothing reserved."""
    project = new_project(api, user)
    refused = upload(api, user, project, truncated_scan(4, fmt=fmt), 4, name="cut.img")
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert (body["error_type"], body["retryable"]) == ("INPUT_INVALID", False)
    assert f"The {fmt} image could not be decoded" in body["detail"]
    assert "truncated" in body["detail"]
    listed = api.get(f"/api/v1/projects/{project}/pages", headers=user.headers).json()
    assert listed["total"] == 0
    retried = upload(api, user, project, scan(page_lines(4), fmt=fmt), 4)
    assert retried.status_code == 201, "the refused upload left its page number free"
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100, 0)


def test_page_results_download_as_text_json_and_hocr(api, user):
    project = new_project(api, user)
    page = upload(api, user, project, scan(page_lines(7)), 7).json()["pages"][0]
    early = api.get(f"/api/v1/projects/{project}/pages/{page['id']}/result",
                    headers=user.headers)
    assert early.status_code == 400 and early.json()["error_type"] == "INVALID_STATE"

    queued = api.post(f"/api/v1/tasks/projects/{project}/process-page/{page['id']}",
                      headers=user.headers)
    assert queued.status_code == 202, queued.text
    assert {k: queued.json()[k] for k in ("status", "page_id", "page_number")} == \
        {"status": "queued", "page_id": page["id"], "page_number": 7}
    final, _ = wait_task(api, user, queued.json()["task_id"])
    assert final["result"]["completed"] == 1

    base = f"/api/v1/projects/{project}/pages/{page['id']}/result"
    text = api.get(base, params={"format": "txt"}, headers=user.headers)
    assert text.status_code == 200 and "Reference number 1007" in text.text
    assert "attachment" in text.headers["content-disposition"]
    doc = api.get(base, headers=user.headers).json()
    assert doc["mean_confidence"] > 50 and doc["word_count"] == len(doc["words"]) > 5
    word = next(w for w in doc["words"] if w["text"] == "harbor")
    left, top, width, height = word["bbox"]
    assert width > 0 and height > 0 and left >= 0 and top >= 0
    size = doc["image_size"]
    assert left + width <= size["width"] and top + height <= size["height"]
    hocr = api.get(base, params={"format": "hocr"}, headers=user.headers)
    assert "ocrx_word" in hocr.text and "harbor" in hocr.text
    assert f"bbox 0 0 {size['width']} {size['height']}" in hocr.text


def test_ownership_duplicates_and_bad_uploads(api, user):
    project = new_project(api, user)
    first = upload(api, user, project, scan(page_lines(1)), 1)
    assert first.status_code == 201
    taken = upload(api, user, project, scan(page_lines(1)), 1)
    assert taken.status_code == 409 and taken.json()["error_type"] == "CONFLICT"
    not_image = upload(api, user, project, b"just some text, not a scan", 2)
    assert not_image.status_code == 400 and not_image.json()["error_type"] == "INPUT_INVALID"

    other = register_and_login(api, prefix="stranger")
    assert api.get(f"/api/v1/projects/{project}", headers=other.headers).status_code == 404
    assert upload(api, other, project, scan(page_lines(3)), 3).status_code == 404
    page_id = first.json()["pages"][0]["id"]
    stolen = api.post(f"/api/v1/tasks/projects/{project}/process-page/{page_id}",
                      headers=other.headers)
    assert stolen.status_code == 404
    missing = api.post(f"/api/v1/tasks/projects/{project}/process-batch",
                       headers=user.headers, json={"page_ids": [page_id, 987654]})
    assert missing.status_code == 404 and "987654" in missing.json()["detail"]
    task = api.post(f"/api/v1/tasks/projects/{project}/process-page/{page_id}",
                    headers=user.headers).json()["task_id"]
    assert api.get(f"/api/v1/tasks/status/{task}", headers=other.headers).status_code == 404
    assert api.post(f"/api/v1/tasks/cancel/{task}", headers=other.headers).status_code == 404


def test_cancel_a_batch_at_once_refunds_what_was_not_read(api, user):
    project = new_project(api, user)
    ids = [upload(api, user, project, scan(page_lines(n)), n).json()["pages"][0]["id"]
           for n in range(1, 13)]
    task = api.post(f"/api/v1/tasks/projects/{project}/process-batch", headers=user.headers,
                    json={"page_ids": ids}).json()["task_id"]
    cancelled = api.post(f"/api/v1/tasks/cancel/{task}", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    final, _ = wait_task(api, user, task)
    assert final["status"] == "cancelled"
    assert {r["status"] for r in final["result"]["results"]} <= {"cancelled", "completed"}
    assert final["result"]["completed"] == sum(
        r["status"] == "completed" for r in final["result"]["results"])
    read = final["result"]["completed"]
    assert balance(api, user)["balance"] == 100 - read, "charged for the pages read only"
    time.sleep(1.0)  # a page a worker had in hand when the flag went up stops there
    listed = api.get(f"/api/v1/projects/{project}/pages", headers=user.headers).json()
    assert {p["ocr_status"] for p in listed["pages"]} <= {"cancelled", "completed"}
    again = api.post(f"/api/v1/tasks/cancel/{task}", headers=user.headers)
    assert again.status_code == 400


def test_pages_of_a_task_cancelled_elsewhere_do_not_stay_queued(api, user):
    """The generic v1 cancel knows nothing of pages; their shown status follows the job."""
    project = new_project(api, user)
    ids = [upload(api, user, project, scan(page_lines(n)), n).json()["pages"][0]["id"]
           for n in range(1, 9)]
    task = api.post(f"/api/v1/tasks/projects/{project}/process-batch", headers=user.headers,
                    json={"page_ids": ids}).json()["task_id"]
    cancelled = api.post(f"/api/v1/jobs/{job_id_of(task)}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    time.sleep(1.0)  # a page a worker had in hand when the flag went up stops there
    listed = api.get(f"/api/v1/projects/{project}/pages", headers=user.headers).json()
    shown = {p["ocr_status"] for p in listed["pages"]}
    assert shown <= {"cancelled", "completed"} and "cancelled" in shown, shown
    only_cancelled = api.get(f"/api/v1/projects/{project}/pages",
                             params={"status": "cancelled"}, headers=user.headers).json()
    assert only_cancelled["total"] == sum(p["ocr_status"] == "cancelled"
                                          for p in listed["pages"])
    summary = api.get(f"/api/v1/projects/{project}", headers=user.headers).json()
    assert summary["pages_by_status"].get("queued", 0) == 0


@pytest.mark.parametrize("degrees", [90, 180])
def test_a_page_scanned_turned_is_read_upright(api, user, degrees):
    project = new_project(api, user)
    upright_text = " ".join(page_lines(8))
    page = upload(api, user, project, turned(scan(page_lines(8)), degrees), 8).json()
    page_id = page["pages"][0]["id"]

    queued = api.post(f"/api/v1/tasks/projects/{project}/process-page/{page_id}",
                      headers=user.headers)
    final, _ = wait_task(api, user, queued.json()["task_id"])

    item = final["result"]["results"][0]
    assert item["status"] == "completed" and item["turned_degrees"] == 360 - degrees
    assert character_error_rate(item["text"], upright_text) <= 0.01, item["text"]
    doc = api.get(f"/api/v1/projects/{project}/pages/{page_id}/result",
                  headers=user.headers).json()
    assert doc["turned_degrees"] == 360 - degrees
