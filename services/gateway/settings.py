"""Gateway-only knobs on top of the shared settings."""

from functools import lru_cache

from shared.pdf_job import TextEngineChoice
from shared.settings import Settings


class GatewaySettings(Settings):
    max_pdf_bytes: int = 50 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024  # any request body that is not an upload
    sync_pdf_max_pages: int = 30
    sync_pdf_wait_seconds: float = 120.0
    # The text engine of a PDF job whose request names none (the `text_engine` form field).
    pdf_text_engine: TextEngineChoice = "pypdf"
    rate_limit_pdf_async: str = "10/hour"
    rate_limit_job_start: str = "10/minute"
    rate_limit_validation: str = "10/minute"  # validation runs started, per user
    rate_limit_auth: str = "30/minute"
    max_receipt_bytes: int = 10 * 1024 * 1024  # seed 002
    rate_limit_receipts: str = "10/minute"  # seed 002, per user
    rate_limit_page_tasks: str = "60/minute"  # process-page and process-batch, per user
    max_color_upload_bytes: int = 25 * 1024 * 1024
    rate_limit_color_async: str = "5/minute"  # seed 000, per user
    sync_color_wait_seconds: float = 60.0  # POST /process/reinhard, then 504 with the task id
    # How long one request for new job events waits in the job service (/ws and the event
    # streams): the job service answers as soon as there are some; this bounds how long a
    # vanished client's request stays open.
    event_wait_seconds: float = 10.0
    jobs_service_timeout_seconds: float = 30.0


@lru_cache
def get_gateway_settings() -> GatewaySettings:
    return GatewaySettings()
