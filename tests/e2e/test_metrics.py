"""Issue 20, metrics: each /metrics endpoint scraped over HTTP around a real PDF job."""

import time
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.celery_app import TaskName, create_celery_app
from tests.support import db
from tests.support.api import confirm_pdf, register_and_login, start_pdf, wait_for_status
from tests.support.pdfs import make_document

PDF_TASK = TaskName.PDF_PROCESS_CHUNK.value


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text page, by name and labels."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def assert_all_conveyor(samples: dict) -> None:
    names = {name for name, _ in samples}
    assert names and all(n.startswith("conveyor_") for n in names), sorted(names)


def wait_until(predicate, timeout: float = 20):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_counters_move_after_a_pdf_job(api, stack):
    gateway, jobs = f"{stack.gateway_url}/metrics", f"{stack.jobs_url}/metrics"
    worker = stack.worker_metrics_urls["worker-pdf"]
    before = {url: scrape(url) for url in (gateway, jobs, worker)}

    user = register_and_login(api)
    pdf, _sentences = make_document(3)
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    assert start_pdf(api, user, job_id, pdf).status_code == 202
    assert wait_for_status(api, user, job_id, statuses={"completed", "failed"})["status"] \
        == "completed"
    assert api.post(f"/api/v1/jobs/{job_id}/finalize", headers=user.headers).status_code == 200
    unknown = f"/no-such-page-{uuid.uuid4().hex}"
    assert api.get(unknown).status_code == 404

    # The job service, from the database.
    after = scrape(jobs)
    assert_all_conveyor(after)
    old = before[jobs]
    for name, labels in [("conveyor_jobs_created_total", {"kind": "pdf"}),
                         ("conveyor_jobs_finished_total", {"kind": "pdf", "status": "completed"}),
                         ("conveyor_job_duration_seconds_count", {"kind": "pdf"}),
                         ("conveyor_job_duration_seconds_bucket", {"kind": "pdf", "le": "+Inf"})]:
        assert value(after, name, **labels) >= value(old, name, **labels) + 1, (name, labels)
    for movement in ("reserved", "charged"):
        assert value(after, "conveyor_credits_total", movement=movement) >= \
            value(old, "conveyor_credits_total", movement=movement) + 3, movement
    for queue in ("pdf", "ocr", "color", "crawl"):
        for name in ("conveyor_queue_depth", "conveyor_queue_oldest_age_seconds",
                     "conveyor_chunks_running"):
            assert (name, frozenset({("queue", queue)})) in after, (name, queue)
    assert ("conveyor_outbox_backlog", frozenset()) in after

    # The gateway: route templates and statuses, never an id or a raw unknown path.
    page = httpx.get(gateway).text
    assert f"/{job_id}" not in page and unknown not in page
    after = scrape(gateway)
    assert_all_conveyor(after)
    old = before[gateway]
    for method, route, status in [("POST", "/api/v1/jobs/confirm", "201"),
                                  ("POST", "/api/v1/jobs/{job_id}/finalize", "200"),
                                  ("GET", "/api/v1/jobs/{job_id}", "200"),
                                  ("GET", "unmatched", "404")]:
        labels = {"method": method, "route": route, "status": status}
        assert value(after, "conveyor_http_requests_total", **labels) >= \
            value(old, "conveyor_http_requests_total", **labels) + 1, labels
        assert value(after, "conveyor_http_request_duration_seconds_count", **labels) >= \
            value(old, "conveyor_http_request_duration_seconds_count", **labels) + 1, labels

    # The PDF worker, summed over its pool processes; then a duplicate delivery is dropped.
    old = before[worker]
    after = scrape(worker)
    assert_all_conveyor(after)
    duration = "conveyor_worker_task_duration_seconds_count"
    assert value(after, duration, task=PDF_TASK) >= value(old, duration, task=PDF_TASK) + 1
    [chunk] = db.chunks(job_id)
    create_celery_app("test-metrics-publisher").send_task(
        PDF_TASK, kwargs={"chunk_id": chunk.id, "attempt": 1})
    skipped = "conveyor_worker_redeliveries_skipped_total"
    wait_until(lambda: value(scrape(worker), skipped, task=PDF_TASK)
               >= value(old, skipped, task=PDF_TASK) + 1)


def test_job_service_metrics_need_no_token(stack):
    """Prometheus scrapes the internal job service without a secret; its API still
    refuses requests without the service token."""
    assert httpx.get(f"{stack.jobs_url}/metrics").status_code == 200
    assert httpx.get(f"{stack.jobs_url}/openapi.json").status_code == 401
