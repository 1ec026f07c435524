"""Gateway-only knobs on top of the shared settings."""

from functools import lru_cache

from shared.settings import Settings


class GatewaySettings(Settings):
    max_pdf_bytes: int = 50 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024  # any request body that is not an upload
    sync_pdf_max_pages: int = 30
    sync_pdf_wait_seconds: float = 120.0
    rate_limit_pdf_async: str = "10/hour"
    rate_limit_job_start: str = "10/minute"
    rate_limit_auth: str = "30/minute"
    jobs_service_timeout_seconds: float = 30.0


@lru_cache
def get_gateway_settings() -> GatewaySettings:
    return GatewaySettings()
