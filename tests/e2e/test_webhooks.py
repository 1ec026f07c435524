"""Signed webhooks over real processes: a local receiver verifies every delivery's
signature, sees each event once, through an outage of its own and its recovery."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import User, register_and_login, start_pdf, wait_for_status
from tests.support.pdfs import make_document
from tests.support.stack import gateway_with_default
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


def arrived(receiver: WebhookReceiver, job_id: int, *events: str) -> bool:
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
