"""Production refuses the default secrets, in the settings object and in a real process."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from shared.settings import DEFAULT_SECRET, Settings
from tests.support.stack import REPO_ROOT, free_port

SECRETS = ("SECRET_KEY", "SERVICE_TOKEN")


@pytest.fixture
def no_secrets_in_env(monkeypatch, tmp_path):
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file can supply them either


@pytest.mark.usefixtures("no_secrets_in_env")
def test_production_refuses_default_secret_key():
    with pytest.raises(ValidationError, match="SECRET_KEY must be set in production"):
        Settings(environment="production", service_token="a-real-service-token")


@pytest.mark.usefixtures("no_secrets_in_env")
def test_production_refuses_default_service_token():
    with pytest.raises(ValidationError, match="SERVICE_TOKEN must be set in production"):
        Settings(environment="production", secret_key="a-real-secret-key")


@pytest.mark.usefixtures("no_secrets_in_env")
def test_production_refuses_the_default_even_when_spelled_out():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key=DEFAULT_SECRET,
                 service_token="a-real-service-token")


@pytest.mark.usefixtures("no_secrets_in_env")
def test_production_with_both_secrets_works():
    settings = Settings(environment="production", secret_key="a-real-secret-key",
                        service_token="a-real-service-token")
    assert settings.environment == "production"
    assert settings.secret_key == "a-real-secret-key"
    assert settings.service_token == "a-real-service-token"


def test_production_reads_secrets_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "from-the-env-secret")
    monkeypatch.setenv("SERVICE_TOKEN", "from-the-env-token")
    settings = Settings()
    assert (settings.secret_key, settings.service_token) == ("from-the-env-secret",
                                                             "from-the-env-token")


@pytest.mark.usefixtures("no_secrets_in_env")
@pytest.mark.parametrize("environment", ["development", "test"])
def test_other_environments_accept_the_defaults(environment):
    settings = Settings(environment=environment)
    assert settings.secret_key == DEFAULT_SECRET


def test_gateway_process_refuses_to_start_in_production_with_default_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env["ENVIRONMENT"] = "production"
    argv = [sys.executable, "-m", "uvicorn", "services.gateway.main:app",
            "--app-dir", str(REPO_ROOT), "--host", "127.0.0.1", "--port", str(free_port())]
    try:
        # cwd outside the repository: no .env file there can hand the process a secret.
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=60)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the gateway started in production with default secrets: {exc.output}")
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "must be set in production" in output, output
    assert "SECRET_KEY" in output or "SERVICE_TOKEN" in output, output
