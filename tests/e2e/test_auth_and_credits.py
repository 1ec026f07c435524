"""Accounts, tokens and credits over HTTP against the real gateway."""

import base64
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from jose import jwt

from tests.support.api import User, balance, register_and_login
from tests.support.stack import REPO_ROOT

PASSWORD = "correct horse battery"


def _email(prefix: str = "auth") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def _cli(stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shared.cli", *args], cwd=REPO_ROOT,
                          env={**stack.env, **env}, capture_output=True, text=True, timeout=120)


def _token(user_id: int, *, key: str | None = None, expires_in: int = 600,
           **claims: object) -> str:
    now = datetime.now(UTC)
    payload = {"sub": str(user_id), "iat": now, "exp": now + timedelta(seconds=expires_in),
               "typ": "access", **claims}
    return jwt.encode(payload, key or os.environ["SECRET_KEY"], algorithm="HS256")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def reader(stack) -> User:
    """One account for the tests that only log in and read (registration is rate-limited
    per client address, so the suite registers no more users than it needs)."""
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        return register_and_login(client, prefix="reader")


# --- registration --------------------------------------------------------------------------

def test_register_answers_201_with_the_account(api):
    email = _email()
    response = api.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == email
    assert body["is_admin"] is False
    assert body["credits"] == {"available": 100, "reserved": 0}
    assert isinstance(body["id"], int)
    assert "password" not in json.dumps(body)


def test_duplicate_email_is_409(api):
    email = _email()
    first = api.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert first.status_code == 201, first.text
    again = api.post("/api/v1/auth/register", json={"email": email, "password": "another one!"})
    assert again.status_code == 409, again.text
    assert again.json()["error_type"] == "CONFLICT"


@pytest.mark.parametrize("body", [
    {"email": "short-pw@example.com", "password": "short"},
    {"email": "not-an-email", "password": PASSWORD},
    {"email": "", "password": PASSWORD},
    {"password": PASSWORD},
])
def test_invalid_registration_is_422(api, body):
    response = api.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422, response.text


# --- login ------------------------------------------------------------------------------------

def test_login_json_returns_exactly_the_token_document(api, reader):
    user = reader
    response = api.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = api.get("/api/v1/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["email"] == user.email


def test_login_with_the_oauth2_password_form(api, reader):
    user = reader
    response = api.post("/api/v1/auth/login",
                        data={"grant_type": "password", "username": user.email,
                              "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    me = api.get("/api/v1/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user.id


@pytest.mark.parametrize("how", ["json", "form"])
def test_wrong_password_is_401(api, reader, how):
    user = reader
    if how == "json":
        response = api.post("/api/v1/auth/login",
                            json={"email": user.email, "password": "not the password"})
    else:
        response = api.post("/api/v1/auth/login",
                            data={"username": user.email, "password": "not the password"})
    assert response.status_code == 401, response.text
    assert "access_token" not in response.json()


def test_unknown_email_is_401(api):
    response = api.post("/api/v1/auth/login", json={"email": _email("nobody"),
                                                    "password": PASSWORD})
    assert response.status_code == 401, response.text


def test_me_shows_the_signup_credits(api, reader):
    user = reader
    response = api.get("/api/v1/auth/me", headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == user.id and body["email"] == user.email
    assert body["credits"] == {"available": 100, "reserved": 0}


# --- tokens -----------------------------------------------------------------------------------

def test_a_token_made_with_the_test_key_is_accepted(api, reader):
    """The control for the refusals below: the hand-made tokens differ only where named."""
    user = reader
    response = api.get("/api/v1/auth/me", headers=_bearer(_token(user.id)))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user.id


def test_expired_token_is_401(api, reader):
    user = reader
    response = api.get("/api/v1/auth/me", headers=_bearer(_token(user.id, expires_in=-60)))
    assert response.status_code == 401, response.text
    assert response.headers.get("www-authenticate") == "Bearer"


def test_token_signed_with_another_key_is_401(api, reader):
    user = reader
    forged = _token(user.id, key="some-other-secret-key")
    assert api.get("/api/v1/auth/me", headers=_bearer(forged)).status_code == 401
    assert api.get("/api/v1/credits", headers=_bearer(forged)).status_code == 401


def test_alg_none_token_is_401(api, reader):
    user = reader
    exp = int((datetime.now(UTC) + timedelta(minutes=10)).timestamp())
    claims = {"sub": str(user.id), "exp": exp, "typ": "access"}
    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "None", "typ": "JWT"}):
        unsigned = f"{_b64(header)}.{_b64(claims)}."
        response = api.get("/api/v1/auth/me", headers=_bearer(unsigned))
        assert response.status_code == 401, (header, response.text)


def test_token_without_access_type_or_subject_is_401(api, reader):
    user = reader
    not_access = _token(user.id, typ="refresh")
    assert api.get("/api/v1/auth/me", headers=_bearer(not_access)).status_code == 401
    now = datetime.now(UTC)
    no_sub = jwt.encode({"exp": now + timedelta(minutes=5), "typ": "access"},
                        os.environ["SECRET_KEY"], algorithm="HS256")
    assert api.get("/api/v1/auth/me", headers=_bearer(no_sub)).status_code == 401


def test_token_of_an_account_that_does_not_exist_is_401(api):
    response = api.get("/api/v1/auth/me", headers=_bearer(_token(987_654_321)))
    assert response.status_code == 401, response.text


# --- credits ----------------------------------------------------------------------------------

def test_credits_ledger_pages_newest_first(api, stack):
    user = register_and_login(api, prefix="paging")
    for amount in ("3", "4"):
        granted = _cli(stack, "grant-credits", user.email, amount, "--note", f"grant {amount}")
        assert granted.returncode == 0, granted.stderr

    everything = balance(api, user)
    assert (everything["balance"], everything["reserved"]) == (107, 0)
    assert [(e["entry_type"], e["amount"]) for e in everything["ledger"]] == [
        ("grant", 4), ("grant", 3), ("signup", 100)]
    assert everything["ledger"][0]["note"] == "grant 4"
    assert everything["ledger"][0]["available_after"] == 107

    first = api.get("/api/v1/credits", params={"limit": 2}, headers=user.headers).json()
    second = api.get("/api/v1/credits", params={"limit": 2, "offset": 2},
                     headers=user.headers).json()
    assert (first["limit"], first["offset"]) == (2, 0)
    assert [e["amount"] for e in first["ledger"]] == [4, 3]
    assert [e["entry_type"] for e in second["ledger"]] == ["signup"]
    assert second["offset"] == 2
    ids = [e["id"] for e in first["ledger"] + second["ledger"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 3
    beyond = api.get("/api/v1/credits", params={"offset": 50}, headers=user.headers).json()
    assert beyond["ledger"] == [] and beyond["balance"] == 107
    assert api.get("/api/v1/credits", params={"limit": 0},
                   headers=user.headers).status_code == 422


def test_credits_show_only_the_callers_ledger(api, stack):
    rich = register_and_login(api, prefix="rich")
    poor = register_and_login(api, prefix="poor")
    assert _cli(stack, "grant-credits", rich.email, "40").returncode == 0
    assert balance(api, rich)["balance"] == 140
    poor_view = balance(api, poor)
    assert poor_view["balance"] == 100 and poor_view["user_id"] == poor.id
    assert [e["entry_type"] for e in poor_view["ledger"]] == ["signup"]


def test_admin_grants_over_http(api, stack):
    admin_email, admin_password = _email("admin"), "an admin password"
    created = _cli(stack, "create-admin", admin_email, CONVEYOR_ADMIN_PASSWORD=admin_password)
    assert created.returncode == 0, created.stderr
    login = api.post("/api/v1/auth/login",
                     json={"email": admin_email, "password": admin_password})
    assert login.status_code == 200, login.text
    admin = _bearer(login.json()["access_token"])
    assert api.get("/api/v1/auth/me", headers=admin).json()["is_admin"] is True

    user = register_and_login(api, prefix="granted")
    outsider = register_and_login(api, prefix="outsider")
    body = {"email": user.email, "amount": 25, "note": "welcome bonus"}

    refused = api.post("/api/v1/admin/credits", json=body, headers=outsider.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_type"] == "FORBIDDEN"
    assert api.post("/api/v1/admin/credits", json=body).status_code == 401
    assert balance(api, user)["balance"] == 100

    granted = api.post("/api/v1/admin/credits", json=body, headers=admin)
    assert granted.status_code == 200, granted.text
    assert granted.json()["user_id"] == user.id and granted.json()["balance"] == 125

    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (125, 0)
    grants = [e for e in credits["ledger"] if e["entry_type"] == "grant"]
    assert [(e["amount"], e["note"], e["job_id"]) for e in grants] == [
        (25, "welcome bonus", None)]
    # The admin's own balance did not move.
    assert api.get("/api/v1/auth/me", headers=admin).json()["credits"]["available"] == 100

    unknown = api.post("/api/v1/admin/credits", json={**body, "email": _email("ghost")},
                       headers=admin)
    assert unknown.status_code == 404, unknown.text
    for amount in (0, -5):
        bad = api.post("/api/v1/admin/credits", json={**body, "amount": amount}, headers=admin)
        assert bad.status_code == 422, bad.text
    assert balance(api, user)["balance"] == 125


def test_create_admin_refuses_a_short_password(stack):
    created = _cli(stack, "create-admin", _email("weak"), CONVEYOR_ADMIN_PASSWORD="short")
    assert created.returncode != 0
    assert "8 characters" in created.stderr


def test_grant_credits_to_an_unknown_email_exits_non_zero(stack):
    email = _email("ghost")
    done = _cli(stack, "grant-credits", email, "10")
    assert done.returncode != 0
    assert f"no user with email {email}" in done.stderr


def test_grant_credits_refuses_a_non_positive_amount(api, stack):
    user = register_and_login(api, prefix="cli-neg")
    done = _cli(stack, "grant-credits", user.email, "0")
    assert done.returncode != 0
    assert "positive" in done.stderr
    assert balance(api, user)["balance"] == 100
