"""STORAGE_BACKEND=s3 end to end: the PDF, receipt, page and colour flows of the seeds
with every upload and result in an S3-compatible store (moto's server over HTTP, talked to
by the product's own boto3 client), and the gateway, the job service, beat and each
worker on a different, empty DATA_DIR, so that nothing can pass through a shared disk.
Then the bad cases: the store down (uploads refused with a retryable 503, a running job
retried until the store is back), and an object gone (a clear failed job, credits back).
"""

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from sqlalchemy import select

from shared.jobs.models import Job, JobEvent
from shared.storage import STAGING_DIR
from tests.support.api import (
    User,
    balance,
    confirm_pdf,
    register_and_login,
    start_pdf,
    wait_for_status,
)
from tests.support.crawl import PROGRESS, crawl_to_completion, images
from tests.support.fake_web import FakeWeb
from tests.support.object_store import ObjectStoreServer, object_store
from tests.support.own_redis import stack_on_own_redis
from tests.support.pages import new_project, page_result, upload, wait_task
from tests.support.pdfs import make_document, make_pdf
from tests.support.receipts import make_receipt
from tests.support.scans import page_lines, scan
from tests.support.stack import Stack, _uvicorn, free_port, wait_http
from tests.support.surfaces import encoded, shaded_surface
from tests.support.validation_images import DATASET, expected

BUCKET = "conveyor-e2e"


@pytest.fixture(scope="module")
def store() -> Iterator[ObjectStoreServer]:
    with object_store() as server:
        server.create_bucket(BUCKET)
        yield server


@pytest.fixture(scope="module")
def s3_stack(database, store, fake_web, tmp_path_factory):
    # Retries back off from 1 s and run out only after minutes: long enough for the
    # outage test to bring the store back once it has seen a chunk fail on it.
    settings = {**store.env(BUCKET), "TASK_MAX_RETRIES": "8", "RETRY_BACKOFF_SECONDS": "1"}
    with stack_on_own_redis(tmp_path_factory.mktemp("s3-stack"), name="s3",
                            settings=settings, separate_data_dirs=True) as (stack, _, sessions):
        stack.start_worker("worker-ocr", queues="ocr", app="services.workers.ocr.app",
                           concurrency=1)
        stack.start_worker("worker-color", queues="color", app="services.workers.color.app",
                           concurrency=1)
        stack.start_worker("worker-crawl", queues="crawl", app="services.workers.crawl.app",
                           concurrency=1)
        yield stack, sessions


@pytest.fixture
def client(s3_stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=s3_stack[0].gateway_url, timeout=60) as http:
        yield http


@pytest.fixture
def user(client) -> User:
    return register_and_login(client, prefix="s3")


def _data_dirs(stack: Stack, name: str) -> list[Path]:
    return sorted(stack.log_dir.glob(f"data-{name}-*"))


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def _assert_no_shared_disk(stack: Stack) -> None:
    """The gateway keeps no upload (its staged uploads are gone once published; what stays
    is empty files made ahead for the next ones, `shared/storage/spares.py`), the job
    service nothing; workers keep only copies of what they fetched, in their cache."""
    for folder in _data_dirs(stack, "gateway"):
        assert all(path.relative_to(folder).parts[0] == STAGING_DIR and not path.stat().st_size
                   for path in _files_under(folder)), _files_under(folder)
    for folder in _data_dirs(stack, "jobs"):
        assert _files_under(folder) == [], folder
    for name in ("worker-pdf", "worker-ocr", "worker-color", "worker-crawl"):
        for folder in _data_dirs(stack, name):
            assert all(path.relative_to(folder).parts[0] == "cache"
                       for path in _files_under(folder)), _files_under(folder)


def _job_events(sessions, job_id: int) -> list[JobEvent]:
    with sessions() as session:
        return list(session.scalars(select(JobEvent).where(JobEvent.job_id == job_id)
                                    .order_by(JobEvent.id)))


def test_a_pdf_job_reads_its_upload_from_the_store(s3_stack, store, client, user):
    stack, sessions = s3_stack
    pdf, sentences = make_document(3)
    confirmed = confirm_pdf(client, user, pdf)
    assert confirmed.status_code == 201, confirmed.text
    job_id = confirmed.json()["job_id"]
    with sessions() as session:
        key = session.get(Job, job_id).input_path
    assert key in store.keys(BUCKET, "uploads/") and key.endswith(".pdf")

    assert start_pdf(client, user, job_id, pdf).status_code == 202
    done = wait_for_status(client, user, job_id, statuses={"completed", "failed"}, timeout=90)
    assert done["status"] == "completed", done
    text = client.get(f"/api/v1/jobs/{job_id}/result?format=txt", headers=user.headers).text
    assert all(sentence in text for sentence in sentences)
    _assert_no_shared_disk(stack)


def test_a_receipt_is_read_from_the_store(s3_stack, client, user):
    receipt = make_receipt(1)
    submitted = client.post("/api/v3/receipts/process", headers=user.headers,
                            files={"file": ("paragon.jpg", receipt.image, "image/jpeg")})
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["data"]["job_id"]
    deadline, data = time.monotonic() + 90, {}
    while time.monotonic() < deadline:
        data = client.get(f"/api/v3/receipts/status/{job_id}", headers=user.headers
                          ).json()["data"]
        if data["status"] in ("SUCCESS", "FAILURE"):
            break
        time.sleep(0.2)
    assert data["status"] == "SUCCESS", data
    assert data["result"]["total"]["value"] == receipt.expected["total"]
    _assert_no_shared_disk(s3_stack[0])


def test_scanned_pages_and_a_pdf_are_read_from_the_store(s3_stack, store, client, user):
    project = new_project(client, user)
    image_page = upload(client, user, project, scan(page_lines(1)), 1)
    assert image_page.status_code == 201, image_page.text
    pdf_pages = upload(client, user, project, make_pdf([["Page ten speaks of the lantern."],
                                                        ["Page eleven of the meadow."]]),
                       10, name="two.pdf")
    assert pdf_pages.status_code == 201, pdf_pages.text
    assert len(store.keys(BUCKET, "pages/")) >= 2
    ids = [image_page.json()["pages"][0]["id"], *(p["id"] for p in pdf_pages.json()["pages"])]

    queued = client.post(f"/api/v1/tasks/projects/{project}/process-batch",
                         headers=user.headers, json={"page_ids": ids})
    assert queued.status_code == 202, queued.text
    final, _ = wait_task(client, user, queued.json()["task_id"])
    assert final["status"] == "completed" and final["result"]["completed"] == 3, final
    first = page_result(client, user, project, ids[0])
    assert first.status_code == 200 and "Page 1 of the harbor report" in first.text
    assert "meadow" in page_result(client, user, project, ids[2]).text
    _assert_no_shared_disk(s3_stack[0])


def _transfer(client: httpx.Client, user: User) -> dict:
    uploaded = client.post("/api/v1/upload", headers=user.headers,
                           files={"file": ("photo.png", encoded(shaded_surface(240, 320)),
                                           "application/octet-stream")})
    assert uploaded.status_code == 201, uploaded.text
    accepted = client.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": uploaded.json()["job_id"], "target_ral_code": "RAL 3000"})
    assert accepted.status_code == 202, accepted.text
    deadline, body = time.monotonic() + 60, {}
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/task/{accepted.json()['task_id']}",
                          headers=user.headers).json()
        if body["state"] in ("SUCCESS", "FAILURE", "REVOKED"):
            break
        time.sleep(0.1)
    assert body["state"] == "SUCCESS", body
    return body["result"]


def _decoded(content: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_a_colour_transfer_keeps_its_files_in_the_store_and_streams_them(s3_stack, store,
                                                                       client, user):
    result = _transfer(client, user)
    kinds = sorted(key.rsplit(".", 1)[1] for key in store.keys(BUCKET, "color/"))
    # the upload, its kept pixels, the result and its preview
    assert {"jpg", "npy", "png"} <= set(kinds) and kinds.count("png") >= 2, kinds
    png = client.get(result["downloads"]["result"], headers=user.headers)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert int(png.headers["content-length"]) == len(png.content)
    assert _decoded(png.content).shape == (240, 320, 3)
    preview = client.get(result["downloads"]["preview"], headers=user.headers)
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    other = register_and_login(client, prefix="s3-other")
    assert client.get(result["downloads"]["result"], headers=other.headers).status_code == 404
    _assert_no_shared_disk(s3_stack[0])


def test_downloads_can_redirect_to_a_presigned_url_after_the_ownership_check(s3_stack,
                                                                           client, user):
    stack, _ = s3_stack
    result = _transfer(client, user)
    streamed = client.get(result["downloads"]["result"], headers=user.headers).content
    port = free_port()
    process = stack.spawn("gateway-presign", _uvicorn("services.gateway.main:app", port),
                          {**stack.env, "S3_PRESIGN_DOWNLOADS": "true"})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/health", stack)
        with httpx.Client(base_url=url, timeout=30) as presigning:
            redirect = presigning.get(result["downloads"]["result"], headers=user.headers)
            assert redirect.status_code == 307, redirect.text
            location = redirect.headers["location"]
            assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
            direct = httpx.get(location)
            assert direct.status_code == 200 and direct.content == streamed
            other = register_and_login(presigning, prefix="s3-other")
            refused = presigning.get(result["downloads"]["result"], headers=other.headers)
            assert refused.status_code == 404 and "location" not in refused.headers
    finally:
        process.stop()


def test_crawled_images_are_kept_in_the_store_and_validated_from_it(s3_stack, store, client,
                                                                    user, fake_web: FakeWeb):
    job_id = crawl_to_completion(client, user, keywords=["bird"], engines=["web"],
                                 max_images=20, seed_urls=[f"{fake_web.url}/dataset.html"])
    assert len(store.keys(BUCKET, "crawl/")) >= len(DATASET)
    answer = client.post(f"/api/v1/validation/job/{job_id}/", headers=user.headers,
                         json={"level": "slow"})
    assert answer.status_code == 200, answer.text
    run = wait_for_status(client, user, answer.json()["validation_job_id"],
                          statuses={"completed", "failed"}, path=PROGRESS)
    assert run["status"] == "completed", run
    listed = images(client, user, job_id, limit=100)["images"]
    verdicts = {image["source_url"].rsplit("/", 1)[-1]: image["verdict"] for image in listed}
    # The slow level decodes every file: read back from the store, each verdict is known.
    assert verdicts == {name: expected(name, "slow")[0] for name in DATASET}
    _assert_no_shared_disk(s3_stack[0])


def test_a_missing_object_fails_the_job_clearly_and_gives_the_credits_back(s3_stack, store,
                                                                         client, user):
    _, sessions = s3_stack
    before = balance(client, user)["balance"]
    pdf, _ = make_document(2, seed=3)
    job_id = confirm_pdf(client, user, pdf).json()["job_id"]
    with sessions() as session:
        key = session.get(Job, job_id).input_path
    store.client().delete_object(Bucket=BUCKET, Key=key)  # lost, or removed by retention

    assert start_pdf(client, user, job_id, pdf).status_code == 202
    failed = wait_for_status(client, user, job_id, statuses={"completed", "failed"},
                             timeout=60)
    assert failed["status"] == "failed", failed
    assert failed["error_type"] == "INPUT_MISSING" and failed["retryable"] is False
    assert "upload it again" in failed["error"]
    assert [e.event_type for e in _job_events(sessions, job_id)].count("retry") == 0
    assert balance(client, user)["balance"] == before


def test_a_store_outage_refuses_uploads_and_delays_a_running_job_without_losing_it(
        s3_stack, store, client, user):
    stack, sessions = s3_stack
    pdf, sentences = make_document(2, seed=5)
    job_id = confirm_pdf(client, user, pdf).json()["job_id"]
    before = balance(client, user)
    store.stop()
    try:
        refused = confirm_pdf(client, user, pdf)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error_type"] == "UPSTREAM_UNAVAILABLE"
        assert refused.json()["retryable"] is True
        assert balance(client, user) == before, "a refused upload reserves nothing"
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["storage"].startswith("error")

        assert start_pdf(client, user, job_id, pdf).status_code == 202
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                e.event_type == "retry" for e in _job_events(sessions, job_id)):
            time.sleep(0.2)
        retries = [e for e in _job_events(sessions, job_id) if e.event_type == "retry"]
        assert retries, "the chunk never failed on the missing store"
        assert "storage" in retries[0].detail["error"]
    finally:
        store.start()
    done = wait_for_status(client, user, job_id, statuses={"completed", "failed"}, timeout=90)
    assert done["status"] == "completed", done
    text = client.get(f"/api/v1/jobs/{job_id}/result?format=txt", headers=user.headers).text
    assert all(sentence in text for sentence in sentences)
    assert client.get("/health/ready").json()["storage"] == "ok"
    _assert_no_shared_disk(stack)
