"""Every error the gateway and the job service answer is coded (`error_type`,
`retryable`), the framework's own too (validation, unknown routes, wrong methods); v3
answers keep the envelope and v3's words; seed 001's cancel answer is word for word."""

import httpx
import pytest

from tests.conftest import TEST_ENV
from tests.support.api import User, confirm_pdf, register_and_login
from tests.support.pdfs import make_document
from tests.support.stack import Stack

SERVICE_TOKEN = {"X-Service-Token": TEST_ENV["SERVICE_TOKEN"]}


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="errors")


def assert_coded(response: httpx.Response, status: int, error_type: str, *,
                 retryable: bool = False) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["error_type"], body["retryable"]) == (error_type, retryable), body
    assert body["detail"]
    return body


def assert_v3_coded(response: httpx.Response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status_code", "message", "data"}, body
    assert body["status_code"] == status and body["message"]
    assert body["data"]["error_type"] == error_type and body["data"]["retryable"] is False
    return body


def test_v1_validation_errors_keep_fastapis_fields_and_are_coded(api: httpx.Client,
                                                                 user: User) -> None:
    response = api.get("/api/v1/jobs", params={"limit": 0}, headers=user.headers)
    body = assert_coded(response, 422, "INPUT_INVALID")
    assert [error["loc"] for error in body["detail"]] == [["query", "limit"]]
    assert body["detail"][0]["type"] == "greater_than_equal"

    missing = api.post("/api/v1/auth/register", json={"email": "a@example.com"})
    body = assert_coded(missing, 422, "INPUT_INVALID")
    assert ["body", "password"] in [error["loc"] for error in body["detail"]]


def test_unknown_routes_and_wrong_methods_are_coded(api: httpx.Client) -> None:
    assert_coded(api.get("/api/v1/no-such-route"), 404, "NOT_FOUND")
    wrong = api.delete("/health")
    assert_coded(wrong, 405, "METHOD_NOT_ALLOWED")
    assert wrong.headers["allow"] == "GET"


def test_v3_framework_errors_are_enveloped_with_their_code(api: httpx.Client,
                                                           user: User) -> None:
    assert_v3_coded(api.get("/api/v3/receipts/no-such-route", headers=user.headers), 404,
                    "NOT_FOUND")
    assert_v3_coded(api.get("/api/v3/nothing-here"), 404, "NOT_FOUND")
    assert_v3_coded(api.put("/api/v3/receipts/process", headers=user.headers), 405,
                    "METHOD_NOT_ALLOWED")
    invalid = assert_v3_coded(api.post("/api/v3/receipts/process", headers=user.headers,
                                       data={"user_id": "1"}), 400, "INPUT_INVALID")
    assert "file" in invalid["message"]


def test_seed_001_cancel_answer(api: httpx.Client, user: User) -> None:
    created = confirm_pdf(api, user, make_document(2)[0])
    assert created.status_code == 201, created.text
    job_id = created.json()["job_id"]

    cancelled = api.post(f"/api/v1/jobs/{job_id}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert list(body)[:3] == ["message", "job_id", "status"]  # extra fields follow
    assert (body["message"], body["job_id"], body["status"]) == (
        "Job cancelled successfully", job_id, "cancelled")

    again = api.post(f"/api/v1/jobs/{job_id}/cancel", headers=user.headers)
    refused = assert_coded(again, 400, "INVALID_STATE")
    assert refused["detail"] == "Cannot cancel job with status: cancelled"


def test_job_service_errors_are_coded_and_never_500_for_bad_input(stack: Stack) -> None:
    with httpx.Client(base_url=stack.jobs_url, headers=SERVICE_TOKEN, timeout=30) as jobs:
        body = assert_coded(jobs.post("/internal/jobs", json={"kind": "no-such-kind"}), 422,
                            "INPUT_INVALID")
        assert ["body", "user_id"] in [error["loc"] for error in body["detail"]]
        assert_coded(jobs.get("/internal/users/x/jobs"), 422, "INPUT_INVALID")
        assert_coded(jobs.get("/internal/no-such-route"), 404, "NOT_FOUND")
        assert_coded(jobs.delete("/health"), 405, "METHOD_NOT_ALLOWED")
        # Ids and offsets past what the columns hold: bad input, not a server fault.
        for path in ("/internal/users/1/jobs/99999999999", f"/internal/users/1/jobs/{2**70}",
                     f"/internal/users/{2**40}/jobs/1"):
            response = jobs.get(path)
            assert response.status_code in (404, 422), (path, response.text)
            assert response.json()["error_type"] in ("NOT_FOUND", "INPUT_INVALID")
        huge_offset = jobs.get("/internal/users/1/jobs", params={"offset": 2**70})
        assert huge_offset.status_code in (200, 422), huge_offset.text


def test_job_service_docs_need_the_service_token(stack: Stack) -> None:
    with httpx.Client(base_url=stack.jobs_url, timeout=30) as jobs:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert_coded(jobs.get(path), 401, "UNAUTHORIZED")
            assert_coded(jobs.get(path, headers={"X-Service-Token": "wrong"}), 401,
                         "UNAUTHORIZED")
            assert jobs.get(path, headers=SERVICE_TOKEN).status_code == 200, path
        schema = jobs.get("/openapi.json", headers=SERVICE_TOKEN).json()
        assert schema["info"]["title"] == "Conveyor job service"


def test_a_path_id_past_64_bits_is_invalid_not_a_crash(api: httpx.Client, user: User) -> None:
    for path in ("/api/v1/jobs/18446744073709551616", "/api/v1/projects/9223372036854775808",
                 "/api/v1/jobs/0/progress"):
        response = api.get(path, headers=user.headers)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error_type"] == "INPUT_INVALID"


def test_input_the_database_cannot_hold_is_invalid_not_a_crash(api: httpx.Client,
                                                               user: User) -> None:
    # Ids are Postgres integers: one past 2**31 - 1 names nothing, whatever the route.
    for path in (f"/api/v1/jobs/{2**31}", f"/api/v1/projects/{2**31}",
                 f"/api/v1/projects/1/pages/{2**31}"):
        assert_coded(api.get(path, headers=user.headers), 422, "INPUT_INVALID")
    # Postgres text cannot hold NUL: the request's fault, not the server's.
    named = api.post("/api/v1/projects", headers=user.headers, json={"name": "a\x00b"})
    assert "NUL" in assert_coded(named, 422, "INPUT_INVALID")["detail"]


def test_a_body_that_is_not_utf8_is_answered_as_invalid_json(api: httpx.Client,
                                                             user: User) -> None:
    headers = {**user.headers, "Content-Type": "application/json"}
    response = api.post("/api/v1/color/match", headers=headers, content=b"\xff\x06")
    body = assert_coded(response, 422, "INPUT_INVALID")
    assert [error["loc"] for error in body["detail"]] == [["body"]]


def test_a_nul_in_a_crawl_request_is_an_invalid_field(api: httpx.Client, user: User) -> None:
    for fields in ({"keywords": ["cat\x00"]}, {"keywords": ["cat"], "name": "a\x00"}):
        response = api.post("/api/v1/jobs", headers=user.headers,
                            json={"engines": ["bing"], "max_images": 1, **fields})
        body = assert_coded(response, 422, "INPUT_INVALID")
        assert body["detail"][0]["type"] == "string_pattern_mismatch", body
