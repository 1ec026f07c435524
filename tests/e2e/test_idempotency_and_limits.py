"""Idempotent job creation, rate limits, health, API docs and job listing over HTTP."""

import threading
import time
import uuid

import httpx
import pytest

from tests.support.api import balance, confirm_pdf, register_and_login
from tests.support.db import ledger_for_job
from tests.support.pdfs import make_document
from tests.support.stack import gateway_with_default

MISSING_JOB = 987_654_321


@pytest.fixture
def user(api):
    return register_and_login(api, prefix="idem")


# --- (a) Idempotency-Key ----------------------------------------------------------------------

def test_same_key_same_pdf_is_one_job_reserved_once(api, user):
    pdf, _ = make_document(3)
    first = confirm_pdf(api, user, pdf, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201, first.text
    job_id = first.json()["job_id"]
    assert first.json()["estimated_credits"] == 3

    again = confirm_pdf(api, user, pdf, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 201, again.text
    assert again.json() == first.json()

    assert balance(api, user)["balance"] == 97
    assert ledger_for_job(job_id) == [("reserve", 3)]
    listed = api.get("/api/v1/jobs", headers=user.headers).json()
    assert listed["total"] == 1 and [j["id"] for j in listed["jobs"]] == [job_id]

    other_pdf, _ = make_document(2, seed=99)
    conflict = confirm_pdf(api, user, other_pdf, headers={"Idempotency-Key": "k1"})
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["error_type"] == "IDEMPOTENCY_CONFLICT"
    assert "detail" in conflict.json()
    assert balance(api, user)["balance"] == 97

    fresh = confirm_pdf(api, user, pdf, headers={"Idempotency-Key": "k2"})
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["job_id"] != job_id

    assert balance(api, user)["balance"] == 94
    assert ledger_for_job(fresh.json()["job_id"]) == [("reserve", 3)]

    unkeyed = [confirm_pdf(api, user, pdf).json()["job_id"] for _ in range(2)]
    assert len({*unkeyed, job_id, fresh.json()["job_id"]}) == 4
    assert balance(api, user)["balance"] == 88


def test_same_key_with_another_callback_url_is_a_conflict(api, user):
    pdf, _ = make_document(2)
    key = {"Idempotency-Key": "with-callback"}
    # loopback: the session lets webhooks reach it (WEBHOOK_ALLOW_PRIVATE)
    hook = {"callback_url": "http://127.0.0.1:9/hook-a"}
    first = api.post("/api/v1/jobs/confirm", headers={**user.headers, **key}, data=hook,
                     files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})
    assert first.status_code == 201, first.text
    again = api.post("/api/v1/jobs/confirm", headers={**user.headers, **key}, data=hook,
                     files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})
    assert again.status_code == 201 and again.json() == first.json()
    elsewhere = api.post("/api/v1/jobs/confirm", headers={**user.headers, **key},
                         data={"callback_url": "http://127.0.0.1:9/hook-b"},
                         files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})
    assert elsewhere.status_code == 409, elsewhere.text
    assert elsewhere.json()["error_type"] == "IDEMPOTENCY_CONFLICT"
    assert balance(api, user)["balance"] == 98, "reserved once"


def test_keys_belong_to_one_user(api, user):
    pdf, _ = make_document(2)
    other = register_and_login(api, prefix="idem-other")
    mine = confirm_pdf(api, user, pdf, headers={"Idempotency-Key": "shared-key"})
    theirs = confirm_pdf(api, other, pdf, headers={"Idempotency-Key": "shared-key"})
    assert mine.status_code == theirs.status_code == 201, (mine.text, theirs.text)
    assert mine.json()["job_id"] != theirs.json()["job_id"]
    assert balance(api, user)["balance"] == balance(api, other)["balance"] == 98


def test_concurrent_confirms_with_one_key_make_one_job(api, stack, user):
    pdf, _ = make_document(4)
    key = f"race-{uuid.uuid4().hex[:8]}"
    count = 10
    barrier = threading.Barrier(count)
    responses: list[httpx.Response | Exception | None] = [None] * count

    def confirm(index: int) -> None:
        with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
            barrier.wait()
            try:
                responses[index] = confirm_pdf(client, user, pdf,
                                               headers={"Idempotency-Key": key})
            except Exception as exc:
                responses[index] = exc

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(r, httpx.Response) for r in responses), responses
    created = [r for r in responses if r.status_code == 201]
    others = [r for r in responses if r.status_code != 201]
    assert created, [r.text for r in responses]
    # A request that raced the first one's open transaction may be told to retry (409);
    # nothing else is acceptable.
    for response in others:
        assert response.status_code == 409, response.text
        assert response.json()["error_type"] == "IDEMPOTENCY_CONFLICT"
    job_ids = {r.json()["job_id"] for r in created}
    assert len(job_ids) == 1, job_ids
    (job_id,) = job_ids

    retried = confirm_pdf(api, user, pdf, headers={"Idempotency-Key": key})
    assert retried.status_code == 201 and retried.json()["job_id"] == job_id
    assert ledger_for_job(job_id) == [("reserve", 4)]
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (96, 4)
    assert [e["entry_type"] for e in credits["ledger"]] == ["reserve", "signup"]
    assert api.get("/api/v1/jobs", headers=user.headers).json()["total"] == 1


# --- (b) rate limit ---------------------------------------------------------------------------

@pytest.fixture
def strict_gateway(stack):
    """A second gateway with the production default RATE_LIMIT_PDF_ASYNC of 10/hour."""
    with gateway_with_default(stack, "RATE_LIMIT_PDF_ASYNC") as url:
        yield url


def _start_missing_job(client: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    return client.post("/api/v1/process-pdf-async", headers=headers,
                       data={"job_id": str(MISSING_JOB)},
                       files={"pdf_file": ("doc.pdf", b"%PDF-1.7\n", "application/pdf")})


def test_process_pdf_async_is_limited_per_user(api, strict_gateway):
    limited = register_and_login(api, prefix="limited")
    bystander = register_and_login(api, prefix="bystander")
    with httpx.Client(base_url=strict_gateway, timeout=60) as client:
        allowed = [_start_missing_job(client, limited.headers) for _ in range(10)]
        assert [r.status_code for r in allowed] == [404] * 10, [r.text for r in allowed]

        refused = _start_missing_job(client, limited.headers)
        assert refused.status_code == 429, refused.text
        retry_after = refused.headers.get("Retry-After")
        assert retry_after is not None and retry_after.isdigit(), refused.headers
        assert 0 < int(retry_after) <= 3600
        body = refused.json()
        assert body["error_type"] == "RATE_LIMITED"
        assert isinstance(body["detail"], str) and body["detail"]
        assert body["retry_after_seconds"] == int(retry_after)

        assert _start_missing_job(client, bystander.headers).status_code == 404
        assert _start_missing_job(client, limited.headers).status_code == 429

        # The limit is on this route only: the limited user can still use the rest.
        assert client.get("/api/v1/jobs", headers=limited.headers).status_code == 200

    # The session gateway runs with 1000/hour: the same user is not refused there.
    assert _start_missing_job(api, limited.headers).status_code == 404


# --- (c) health -------------------------------------------------------------------------------

def test_health(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_sees_database_broker_and_workers(api):
    # Worker replies to the broadcast are collected within a short window; ask a few times
    # before concluding a queue has no worker.
    body: dict = {}
    for _ in range(10):
        response = api.get("/health/ready")
        assert response.status_code == 200, response.text
        body = response.json()
        workers = body["workers"]
        if isinstance(workers, dict) and workers.get("pdf", 0) >= 1 and \
                workers.get("maintenance", 0) >= 1:
            break
        time.sleep(1)
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["workers"]["pdf"] >= 1, body
    assert body["workers"]["maintenance"] >= 1, body


# --- (d) API docs -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc", "/api/docs",
                                  "/api/swagger.json"])
def test_docs_are_served(api, path):
    response = api.get(path)
    assert response.status_code == 200, response.text
    if path.endswith(".json"):
        assert response.json()["info"]["title"] == "Conveyor API"
    else:
        assert "<html" in response.text.lower()


def test_openapi_has_the_oauth2_password_flow(api):
    spec = api.get("/openapi.json").json()
    assert api.get("/api/swagger.json").json() == spec
    schemes = spec["components"]["securitySchemes"]
    password_flows = [s["flows"]["password"] for s in schemes.values()
                      if s.get("type") == "oauth2" and "password" in s.get("flows", {})]
    assert [flow["tokenUrl"] for flow in password_flows] == ["/api/v1/auth/login"]
    (scheme_name,) = [name for name, s in schemes.items() if s.get("type") == "oauth2"]
    confirm = spec["paths"]["/api/v1/jobs/confirm"]["post"]
    assert {scheme_name: []} in confirm["security"]
    login_body = spec["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in login_body


# --- (e) listing jobs -------------------------------------------------------------------------

def test_list_jobs_shows_only_mine_with_filters_and_paging(api, user):
    pdf, _ = make_document(1)
    mine = []
    for index in range(3):
        response = confirm_pdf(api, user, pdf, name=f"mine-{index}.pdf")
        assert response.status_code == 201, response.text
        mine.append(response.json()["job_id"])
    cancelled = api.post(f"/api/v1/jobs/{mine[0]}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    stranger = register_and_login(api, prefix="stranger")
    theirs = confirm_pdf(api, stranger, pdf).json()["job_id"]

    everything = api.get("/api/v1/jobs", headers=user.headers)
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["total"] == 3
    assert [j["id"] for j in body["jobs"]] == sorted(mine, reverse=True)
    assert {j["user_id"] for j in body["jobs"]} == {user.id}
    assert theirs not in [j["id"] for j in body["jobs"]]

    def ids(**params: object) -> tuple[list[int], int]:
        response = api.get("/api/v1/jobs", params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        return [j["id"] for j in page["jobs"]], page["total"]

    assert ids(status="pending") == (sorted(mine[1:], reverse=True), 2)
    assert ids(status="cancelled") == ([mine[0]], 1)
    assert ids(status="completed") == ([], 0)
    assert ids(kind="pdf") == (sorted(mine, reverse=True), 3)
    assert ids(kind="receipt") == ([], 0)
    assert ids(kind="pdf", status="pending") == (sorted(mine[1:], reverse=True), 2)

    assert ids(limit=2) == ([mine[2], mine[1]], 3)
    assert ids(limit=2, offset=2) == ([mine[0]], 3)
    assert ids(offset=10) == ([], 3)

    assert api.get("/api/v1/jobs", params={"kind": "spreadsheet"},
                   headers=user.headers).status_code == 422
    assert api.get("/api/v1/jobs", params={"limit": 0}, headers=user.headers).status_code == 422

    their_view = api.get("/api/v1/jobs", headers=stranger.headers).json()
    assert [j["id"] for j in their_view["jobs"]] == [theirs] and their_view["total"] == 1


def test_unknown_status_filter_is_a_client_error(api, user):
    response = api.get("/api/v1/jobs", params={"status": "bogus"}, headers=user.headers)
    assert response.status_code in (400, 422), response.text
