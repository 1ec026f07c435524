"""The `data` part of API v3's receipt answers (seed 002)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.gateway.webhooks.schemas import CALLBACK_SECRET_EXAMPLE, CallbackSecretField


class ReceiptSubmitted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"job_id": "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f", "filename": "paragon.jpg",
         "file_size": 254312, "submitted_at": "2026-12-04T09:30:00Z", "status": "PENDING",
         "callback_secret": CALLBACK_SECRET_EXAMPLE}]})

    job_id: str
    filename: str | None
    file_size: int
    submitted_at: datetime
    status: str
    # Always present, null without a callback_url: `filename` may be null too, so the
    # envelope cannot leave nulls out (as ConfirmOut does).
    callback_secret: CallbackSecretField = None


class ReceiptStatus(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "job_id": "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f", "status": "SUCCESS", "step": "DONE",
        "progress": 100, "message": "Przetwarzanie zakończone",
        "filename": "paragon.jpg", "submitted_at": "2026-12-04T09:30:00Z",
        "timestamp": "2026-12-04T09:30:02Z",
        "result": {"merchant": {"value": "SKLEP WIELOBRANZOWY MAJA", "confidence": 0.9},
                   "date": {"value": "2026-12-03", "confidence": 0.9},
                   "total": {"value": "12.98", "confidence": 0.95},
                   "currency": {"value": "PLN", "confidence": 0.9}},
        "error": None, "error_type": None, "retryable": None}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"job_id": "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f", "status": "REVOKED",
         "cancelled_at": "2026-12-04T09:30:01Z", "revoked_tasks": 1}]})

    job_id: str
    status: str
    cancelled_at: datetime
    revoked_tasks: int


class ReceiptHealth(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "healthy", "timestamp": "2026-12-04T09:30:00Z", "active_receipt_tasks": 0,
         "workers_available": True, "tasks_registered": True,
         "workers": ["celery@worker-ocr-1"]}]})

    status: str
    timestamp: datetime
    active_receipt_tasks: int | None
    workers_available: bool | None  # None: the embedded broker cannot be asked
    tasks_registered: bool | None
    workers: list[str]
