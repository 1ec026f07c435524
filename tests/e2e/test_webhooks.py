"""Signed webhooks over real processes: a local receiver verifies every delivery's
signature, sees each event once, through an outage of its own and its recovery; every
kind of job can name a callback_url when it is created."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import crawl
from tests.support.api import User, balance, register_and_login, start_pdf, wait_for_status
from tests.support.fake_web import FakeWeb
from tests.support.pages import new_project, upload_page, wait_task
from tests.support.pdfs import make_document
from tests.support.receipts import make_receipt
from tests.support.scans import page_lines, scan
from tests.support.stack import gateway_with_default
from tests.support.surfaces import encoded, shaded_surface
from tests.support.webhook_receiver import WebhookReceiver, wait_until

ALL_EVENTS = ["job.started", "job.progress", "job.completed", "job.failed", "job.cancelled"]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver().start()
    yield running
    running.stop()


def register(api: httpx.Client, user: User, receiver: WebhookReceiver, path: str,
             events: list[str] = ALL_EVENTS) -> dict[str, Any]:
    created = api.post("/api/v1/webhooks", headers=user.headers,
                       json={"url": receiver.url(path), "events": events})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    receiver.secrets[path] = body["secret"]
    return body


def run_pdf_job(api: httpx.Client, user: User, **confirm: Any) -> int:
    pdf, _ = make_document(2)
    confirmed = api.post("/api/v1/jobs/confirm", headers=user.headers, data=confirm,
                         files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})
    assert confirmed.status_code == 201, confirmed.text
    job_id = confirmed.json()["job_id"]
    assert start_pdf(api, user, job_id, pdf).status_code == 202
    assert wait_for_status(api, user, job_id, statuses={"completed", "failed"}
                           )["status"] == "completed"
    return job_id


def deliveries(api: httpx.Client, user: User, webhook_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def arrived(receiver: WebhookReceiver, job_id: int | str, *events: str) -> bool:
    seen = {r.event_type for r in receiver.events_of(job_id)}
    return set(events) <= seen


def test_each_event_arrives_once_signed_and_can_be_redelivered(api, stack, receiver):
    user = register_and_login(api)
    webhook = register(api, user, receiver, "/hooks/a")
    listed = api.get("/api/v1/webhooks", headers=user.headers).json()["webhooks"]
    assert [(w["id"], w["url"], w["is_callback"]) for w in listed] == [
        (webhook["id"], receiver.url("/hooks/a"), False)]
    assert "secret" not in listed[0]

    job_id = run_pdf_job(api, user)
    wait_until(lambda: arrived(receiver, job_id, "job.started", "job.completed"),
               timeout=30, what="job.started and job.completed")
    wait_until(lambda: all(d["status"] == "delivered"
                           for d in deliveries(api, user, webhook["id"])), timeout=10)
    counts = Counter(r.event_type for r in receiver.events_of(job_id))
    assert counts["job.started"] == 1 and counts["job.completed"] == 1, counts
    assert not {"job.failed", "job.cancelled"} & counts.keys()
    assert receiver.refused == []
    completed = next(r for r in receiver.events_of(job_id) if r.event_type == "job.completed")
    assert completed.data["status"] == "completed" and completed.data["kind"] == "pdf"

    log = {d["event_type"]: d for d in deliveries(api, user, webhook["id"])}
    assert log["job.completed"]["attempts"] == 1
    assert log["job.completed"]["last_status_code"] == 204
    assert log["job.completed"]["message_id"] == completed.message_id

    again = api.post(f"/api/v1/webhooks/{webhook['id']}/deliveries/"
                     f"{log['job.completed']['id']}/redeliver", headers=user.headers)
    assert again.status_code == 202, again.text
    wait_until(lambda: Counter(r.message_id for r in receiver.events_of(job_id))
               [completed.message_id] == 2, timeout=20, what="the redelivery")
    wait_until(lambda: {d["id"]: d for d in deliveries(api, user, webhook["id"])}
               [log["job.completed"]["id"]]["attempts"] == 2, timeout=10,
               what="the redelivery in the log")

    other = register_and_login(api, prefix="other")
    base = f"/api/v1/webhooks/{webhook['id']}"
    assert api.get(f"{base}/deliveries", headers=other.headers).status_code == 404
    assert api.post(f"{base}/deliveries/{log['job.completed']['id']}/redeliver",
                    headers=other.headers).status_code == 404
    assert api.delete(base, headers=other.headers).status_code == 404
    assert api.get("/api/v1/webhooks", headers=other.headers).json() == {"webhooks": []}

    assert api.delete(base, headers=user.headers).status_code == 204
    assert api.get(f"{base}/deliveries", headers=user.headers).status_code == 404


def test_an_event_reaches_a_receiver_that_was_down_after_retries(api, stack, receiver):
    user = register_and_login(api)
    webhook = register(api, user, receiver, "/hooks/outage",
                       events=["job.started", "job.completed"])
    receiver.stop()

    job_id = run_pdf_job(api, user)
    failing = wait_until(lambda: [d for d in deliveries(api, user, webhook["id"])
                                  if d["event_type"] == "job.completed" and d["attempts"] >= 2],
                         timeout=30, what="two failed attempts")
    assert failing[0]["status"] == "pending" and failing[0]["last_error"]
    assert failing[0]["last_status_code"] is None and failing[0]["next_attempt_at"]

    receiver.start()
    wait_until(lambda: arrived(receiver, job_id, "job.started", "job.completed"),
               timeout=30, what="the events after the receiver came back")
    wait_until(lambda: all(d["status"] == "delivered"
                           for d in deliveries(api, user, webhook["id"])), timeout=15)
    counts = Counter(r.event_type for r in receiver.events_of(job_id))
    assert counts == {"job.started": 1, "job.completed": 1}, counts
    assert receiver.refused == []
    log = {d["event_type"]: d for d in deliveries(api, user, webhook["id"])}
    assert log["job.completed"]["attempts"] >= 3  # two refused, then delivered
    assert log["job.completed"]["last_status_code"] == 204
    assert log["job.completed"]["last_error"] is None


def test_a_jobs_callback_url_gets_its_events(api, stack, receiver):
    user = register_and_login(api)
    pdf, _ = make_document(2)
    confirmed = confirm_pdf_with_callback(api, user, pdf, receiver.url("/hooks/cb"))
    secret = confirmed["callback_secret"]
    assert secret.startswith("whsec_")
    receiver.secrets["/hooks/cb"] = secret
    job_id = confirmed["job_id"]
    assert start_pdf(api, user, job_id, pdf).status_code == 202
    wait_until(lambda: arrived(receiver, job_id, "job.started", "job.completed"),
               timeout=60, what="the callback's events")
    assert receiver.refused == []
    listed = api.get("/api/v1/webhooks", headers=user.headers).json()["webhooks"]
    assert [(w["url"], w["is_callback"]) for w in listed] == [(receiver.url("/hooks/cb"), True)]

    # The same URL again reuses its endpoint and shows the same secret: a job whose answer
    # was lost (or that failed after making the endpoint) never leaves an unseen secret.
    again = confirm_pdf_with_callback(api, user, make_document(3)[0], receiver.url("/hooks/cb"))
    assert again["callback_secret"] == secret


def confirm_pdf_with_callback(api: httpx.Client, user: User, pdf: bytes, url: str
                              ) -> dict[str, Any]:
    response = api.post("/api/v1/jobs/confirm", headers=user.headers,
                        data={"callback_url": url},
                        files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})
    assert response.status_code == 201, response.text
    return response.json()


def test_private_addresses_are_refused_unless_allowed(api, stack):
    with gateway_with_default(stack, "WEBHOOK_ALLOW_PRIVATE") as url, \
            httpx.Client(base_url=url, timeout=30) as strict:
        user = register_and_login(strict)
        for target in ("http://127.0.0.1:9/hook", "http://10.1.2.3/hook",
                       "http://localhost:8000/hook"):
            refused = strict.post("/api/v1/webhooks", headers=user.headers,
                                  json={"url": target, "events": ["job.completed"]})
            assert refused.status_code == 400, refused.text
            assert refused.json()["error_type"] == "INPUT_INVALID"
        callback = strict.post("/api/v1/jobs/confirm", headers=user.headers,
                               data={"callback_url": "http://169.254.169.254/latest"},
                               files={"pdf_file": ("doc.pdf", make_document(1)[0],
                                                   "application/pdf")})
        assert callback.status_code == 400, callback.text
        assert strict.get("/api/v1/webhooks", headers=user.headers).json() == {"webhooks": []}


# --- a callback_url on every kind's creation route ------------------------------------------

def keep_secret(receiver: WebhookReceiver, path: str, answer: dict[str, Any]) -> None:
    """What a user does with a job's answer: keep its callback_secret to verify with."""
    secret = answer["callback_secret"]
    assert secret.startswith("whsec_"), answer
    receiver.secrets[path] = secret


def assert_called_back(receiver: WebhookReceiver, job: int | str, path: str, kind: str
                       ) -> None:
    """The job's start and end reached its callback URL once each, signed. A delivery made
    before the test kept the secret was answered 404 and retried: still once."""
    wait_until(lambda: arrived(receiver, job, "job.started", "job.completed"), timeout=60,
               what=f"the {kind} job's callback events")
    events = receiver.events_of(job)
    assert {r.path for r in events} == {path}
    counts = Counter(r.event_type for r in events)
    assert counts["job.started"] == 1 and counts["job.completed"] == 1, counts
    assert not {"job.failed", "job.cancelled"} & counts.keys()
    completed = next(r for r in events if r.event_type == "job.completed")
    assert (completed.data["kind"], completed.data["status"]) == (kind, "completed")
    assert receiver.refused == []


def test_a_receipts_callback_url_gets_its_events(api, stack, receiver):
    user = register_and_login(api, prefix="receipt")
    response = api.post("/api/v3/receipts/process", headers=user.headers,
                        data={"callback_url": receiver.url("/hooks/receipt")},
                        files={"file": ("paragon.jpg", make_receipt(1).image, "image/jpeg")})
    assert response.status_code == 202, response.text
    submitted = response.json()["data"]
    keep_secret(receiver, "/hooks/receipt", submitted)
    assert_called_back(receiver, submitted["job_id"], "/hooks/receipt", "receipt")

    plain = api.post("/api/v3/receipts/process", headers=user.headers,
                     files={"file": ("again.jpg", make_receipt(2).image, "image/jpeg")})
    assert plain.status_code == 202, plain.text
    assert plain.json()["data"]["callback_secret"] is None  # a nullable field in v3


def test_a_colour_transfers_callback_url_gets_its_events(api, stack, receiver):
    user = register_and_login(api, prefix="colour")
    uploaded = api.post("/api/v1/upload", headers=user.headers,
                        files={"file": ("wall.png", encoded(shaded_surface(180, 320)))})
    assert uploaded.status_code == 201, uploaded.text
    body = {"job_id": uploaded.json()["job_id"], "target_ral_code": "RAL 3000"}
    response = api.post("/api/v1/process/async", headers=user.headers,
                        json={**body, "callback_url": receiver.url("/hooks/colour")})
    assert response.status_code == 202, response.text
    accepted = response.json()
    keep_secret(receiver, "/hooks/colour", accepted)
    assert_called_back(receiver, accepted["task_id"], "/hooks/colour", "color_transfer")

    plain = api.post("/api/v1/process/async", headers=user.headers, json=body)
    assert plain.status_code == 202, plain.text
    assert "callback_secret" not in plain.json()  # seed 000's answer, unchanged


def test_page_tasks_callback_urls_get_their_events(api, stack, receiver):
    user = register_and_login(api, prefix="pages")
    project = new_project(api, user)
    page_ids = [upload_page(api, user, project, scan(page_lines(n)), n) for n in (1, 2)]
    tasks = f"/api/v1/tasks/projects/{project}"

    one = api.post(f"{tasks}/process-page/{page_ids[0]}", headers=user.headers,
                   json={"callback_url": receiver.url("/hooks/page")})
    assert one.status_code == 202, one.text
    keep_secret(receiver, "/hooks/page", one.json())
    batch = api.post(f"{tasks}/process-batch", headers=user.headers,
                     json={"page_ids": page_ids, "callback_url": receiver.url("/hooks/batch")})
    assert batch.status_code == 202, batch.text
    keep_secret(receiver, "/hooks/batch", batch.json())
    assert_called_back(receiver, one.json()["task_id"], "/hooks/page", "page_ocr")
    assert_called_back(receiver, batch.json()["task_id"], "/hooks/batch", "page_batch")
    assert wait_task(api, user, batch.json()["task_id"])[0]["status"] == "completed"

    plain = api.post(f"{tasks}/process-page/{page_ids[1]}", headers=user.headers)
    assert plain.status_code == 202, plain.text  # no body, as seed 003 sends it
    assert "callback_secret" not in plain.json()
    wait_task(api, user, plain.json()["task_id"])


def test_crawl_and_validation_callback_urls_get_their_events(api, stack, receiver,
                                                             fake_web: FakeWeb):
    user = register_and_login(api, prefix="validate")
    created = crawl.create(api, user, keywords=["bird"], engines=["web"], max_images=20,
                           seed_urls=[f"{fake_web.url}/dataset.html"],
                           callback_url=receiver.url("/hooks/crawl"))
    assert created.status_code == 201, created.text
    keep_secret(receiver, "/hooks/crawl", created.json())
    job_id = created.json()["id"]
    assert crawl.start(api, user, job_id).status_code == 200
    assert_called_back(receiver, job_id, "/hooks/crawl", "crawl")

    response = api.post(f"/api/v1/validation/job/{job_id}/", headers=user.headers,
                        json={"level": "fast", "callback_url": receiver.url("/hooks/check")})
    assert response.status_code == 200, response.text
    started = response.json()
    keep_secret(receiver, "/hooks/check", started)
    assert_called_back(receiver, started["validation_job_id"], "/hooks/check", "validation")
    assert wait_for_status(api, user, started["validation_job_id"],
                           statuses={"completed", "failed"},
                           path=crawl.PROGRESS)["status"] == "completed"


def test_every_creation_route_refuses_a_private_callback_url_before_reserving(api, stack):
    """On a gateway with the production address policy: 400, no job, no credits
    reserved, no endpoint made, whichever kind of job the request would create."""
    refused_url = "http://10.0.0.1/hook"
    with gateway_with_default(stack, "WEBHOOK_ALLOW_PRIVATE") as url, \
            httpx.Client(base_url=url, timeout=30) as strict:
        user = register_and_login(strict, prefix="refused")
        colour_upload = strict.post("/api/v1/upload", headers=user.headers, files={
            "file": ("wall.png", encoded(shaded_surface(60, 80)))}).json()["job_id"]
        project = new_project(strict, user)
        page_id = upload_page(strict, user, project, scan(page_lines(1)), 1)
        created = crawl.create(strict, user, engines=["bing"], max_images=5)  # pending
        assert created.status_code == 201, created.text
        crawl_job = created.json()["id"]
        credits = balance(strict, user)
        tasks = f"/api/v1/tasks/projects/{project}"
        attempts = {
            "receipt": strict.post("/api/v3/receipts/process", headers=user.headers,
                                   data={"callback_url": refused_url},
                                   files={"file": ("r.jpg", make_receipt(1).image,
                                                   "image/jpeg")}),
            "colour": strict.post("/api/v1/process/async", headers=user.headers, json={
                "job_id": colour_upload, "target_ral_code": "RAL 3000",
                "callback_url": refused_url}),
            "page": strict.post(f"{tasks}/process-page/{page_id}", headers=user.headers,
                                json={"callback_url": refused_url}),
            "batch": strict.post(f"{tasks}/process-batch", headers=user.headers,
                                 json={"page_ids": [page_id], "callback_url": refused_url}),
            "validation": strict.post(f"/api/v1/validation/job/{crawl_job}/",
                                      headers=user.headers, json={"callback_url": refused_url}),
        }
        for route, refused in attempts.items():
            assert refused.status_code == 400, (route, refused.text)
            body = refused.json()
            error = body["data"] if route == "receipt" else body  # v3: in the envelope
            assert error["error_type"] == "INPUT_INVALID", (route, body)
            message = body["message"] if route == "receipt" else body["detail"]
            assert "webhook URL refused" in message and "10.0.0.1" in message, (route, body)
        assert balance(strict, user) == credits
        jobs = strict.get("/api/v1/jobs", headers=user.headers).json()["jobs"]
        assert [j["id"] for j in jobs] == [crawl_job]
        assert strict.get("/api/v1/webhooks", headers=user.headers).json() == {"webhooks": []}
