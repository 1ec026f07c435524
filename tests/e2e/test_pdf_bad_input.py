"""Every bad input gets a clear error and leaves credits balanced."""

import pytest

from tests.support.api import balance, confirm_pdf, register_and_login, start_pdf
from tests.support.pdfs import make_document
from tests.support.pdfs_bad import encrypted_pdf, garbage_after_header, truncated_pdf


@pytest.fixture
def user(api):
    return register_and_login(api)


def _assert_untouched(api, user) -> None:
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100, 0)


def test_not_a_pdf_is_refused_by_content_not_name(api, user):
    response = confirm_pdf(api, user, b"\x89PNG\r\n\x1a\n" + b"0" * 500, name="looks.pdf")
    assert response.status_code == 415
    assert response.json()["error_type"] == "UNSUPPORTED_MEDIA_TYPE"
    _assert_untouched(api, user)


def test_zero_byte_file(api, user):
    response = confirm_pdf(api, user, b"")
    assert response.status_code == 400
    assert "empty" in response.json()["detail"]
    _assert_untouched(api, user)


def test_password_protected_pdf(api, user):
    response = confirm_pdf(api, user, encrypted_pdf())
    assert response.status_code == 400
    assert response.json()["error_type"] == "PASSWORD_PROTECTED"
    _assert_untouched(api, user)


@pytest.mark.parametrize("broken", [truncated_pdf, garbage_after_header])
def test_damaged_pdf(api, user, broken):
    response = confirm_pdf(api, user, broken())
    assert response.status_code == 400, response.text
    assert response.json()["error_type"] == "INPUT_INVALID"
    assert "cannot be read" in response.json()["detail"]
    _assert_untouched(api, user)


def test_over_size_limit_is_refused_before_reading(api, user, stack):
    huge = b"%PDF-1.7\n" + b"0" * (101 * 1024 * 1024)
    response = api.post("/api/v1/jobs/confirm", headers=user.headers,
                         files={"pdf_file": ("big.pdf", huge, "application/pdf")})
    assert response.status_code == 413
    assert response.json()["error_type"] == "INPUT_TOO_LARGE"
    _assert_untouched(api, user)


def test_too_many_pages(api, user):
    pdf, _ = make_document(501, per_page=1)
    response = confirm_pdf(api, user, pdf)
    assert response.status_code == 400
    assert response.json()["error_type"] == "TOO_MANY_PAGES"
    assert "500" in response.json()["detail"]
    _assert_untouched(api, user)


def test_insufficient_credits_is_402(api, user):
    pdf, _ = make_document(101, per_page=1)
    response = confirm_pdf(api, user, pdf)
    assert response.status_code == 402
    assert response.json()["error_type"] == "INSUFFICIENT_CREDITS"
    assert response.json()["required_credits"] == 101
    _assert_untouched(api, user)


def test_another_users_job_is_404(api, user):
    pdf, _ = make_document(2)
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    stranger = register_and_login(api, prefix="stranger")
    for method, path in [("GET", f"/api/v1/jobs/{job_id}"),
                         ("GET", f"/api/v1/jobs/{job_id}/progress"),
                         ("GET", f"/api/v1/jobs/{job_id}/events"),
                         ("POST", f"/api/v1/jobs/{job_id}/cancel"),
                         ("POST", f"/api/v1/jobs/{job_id}/finalize")]:
        response = api.request(method, path, headers=stranger.headers)
        assert response.status_code == 404, (path, response.text)
    assert start_pdf(api, stranger, job_id, pdf).status_code == 404
    assert api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).status_code == 200


def test_unknown_job_is_404(api, user):
    assert api.get("/api/v1/jobs/987654321", headers=user.headers).status_code == 404


def test_other_file_than_confirmed_is_409(api, user):
    pdf, _ = make_document(2)
    other, _ = make_document(2, seed=99)
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    response = start_pdf(api, user, job_id, other)
    assert response.status_code == 409
    assert "not the file confirmed" in response.json()["detail"]


def test_starting_twice_is_400(api, user):
    pdf, _ = make_document(2)
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    assert start_pdf(api, user, job_id, pdf).status_code == 202
    again = start_pdf(api, user, job_id, pdf)
    assert again.status_code == 400
    assert "only pending jobs" in again.json()["detail"].lower()


def test_invalid_options_are_422(api, user):
    pdf, _ = make_document(2)
    job_id = confirm_pdf(api, user, pdf).json()["job_id"]
    response = start_pdf(api, user, job_id, pdf, gemini_model="turbo")
    assert response.status_code == 422
    assert api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()["status"] == "pending"


def test_routes_need_a_token(api):
    assert api.get("/api/v1/jobs").status_code == 401
    assert api.get("/api/v1/auth/me").status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert api.get("/api/v1/jobs", headers=bad).status_code == 401


def test_a_job_of_another_kind_is_not_started_as_a_pdf(api, user):
    crawl = api.post("/api/v1/jobs", headers=user.headers, json={
        "keywords": ["cat"], "engines": ["bing"], "max_images": 1})
    assert crawl.status_code == 201, crawl.text
    pdf, _ = make_document(1)
    response = start_pdf(api, user, crawl.json()["id"], pdf)
    assert response.status_code == 400
    assert response.json()["detail"] == f"job {crawl.json()['id']} is not a PDF job"
    # Still pending: the check and the start are one transaction in the job service.
    status = api.get(f"/api/v1/jobs/{crawl.json()['id']}", headers=user.headers).json()
    assert status["status"] == "pending"
