"""Receipts, API v3 (seed 002): the `data` of each envelope."""

from datetime import datetime
from typing import Any

from conveyor_client.models._base import ApiModel

# v3's own words for the statuses a receipt ends in.
RECEIPT_ENDED_STATUSES = frozenset({"SUCCESS", "FAILURE", "REVOKED"})


class ReceiptSubmitted(ApiModel):
    openapi_schema = "ReceiptSubmitted"

    job_id: str
    filename: str | None
    file_size: int
    submitted_at: datetime
    status: str


class ReceiptStatus(ApiModel):
    """PENDING, STARTED, PROGRESS, RETRY, then SUCCESS (with `result`: merchant, date,
    items, total... each with a confidence), FAILURE or REVOKED."""

    openapi_schema = "ReceiptStatus"

    job_id: str
    status: str
    step: str | None
    progress: int
    message: str
    filename: str | None
    submitted_at: datetime
    timestamp: datetime
    result: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None
    retryable: bool | None = None

    @property
    def ended(self) -> bool:
        return self.status in RECEIPT_ENDED_STATUSES


class ReceiptCancelled(ApiModel):
    openapi_schema = "ReceiptCancelled"

    job_id: str
    status: str
    cancelled_at: datetime
    revoked_tasks: int
