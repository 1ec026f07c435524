"""The `data` part of API v3's receipt answers (seed 002)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ReceiptSubmitted(BaseModel):
    job_id: str
    filename: str | None
    file_size: int
    submitted_at: datetime
    status: str


class ReceiptStatus(BaseModel):
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


class ReceiptCancelled(BaseModel):
    job_id: str
    status: str
    cancelled_at: datetime
    revoked_tasks: int


class ReceiptHealth(BaseModel):
    status: str
    timestamp: datetime
    active_receipt_tasks: int | None
    workers_available: bool | None  # None: the embedded broker cannot be asked
    tasks_registered: bool | None
    workers: list[str]
