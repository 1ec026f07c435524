"""Seed 001's PDF options and answers."""


from pydantic import BaseModel, ConfigDict

from services.gateway.jobs.schemas import PdfJobStatusDocument
from services.gateway.webhooks.schemas import CallbackSecretField
from shared.pdf_job import OcrChoice, PdfOptions, TextEngineChoice

__all__ = ["OcrChoice", "PdfOptions", "TextEngineChoice"]  # the form fields are these options

class ConfirmOut(BaseModel):
    """The job created for the upload, its credits reserved."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"job_id": 123, "status": "pending", "page_count": 120, "estimated_credits": 120,
         "callback_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]})

    job_id: int
    status: str
    page_count: int
    estimated_credits: int
    callback_secret: CallbackSecretField = None


class AsyncStartOut(BaseModel):
    """Seed 001's answer: follow the job at GET /api/v1/jobs/{job_id}."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"job_id": 123, "task_id": "job_123_1696378800.123456", "status": "pending",
         "message": "PDF processing started"}]})

    job_id: int
    task_id: str
    status: str
    message: str


class PdfProcessed(PdfJobStatusDocument):
    """A small PDF processed while the client waited: the finalized job's status
    document, and its sentences."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 123, "uuid": "9b2d7c1e-4f3a-4e8b-8c6d-2a1f0e9d8c7b", "user_id": 1,
        "kind": "pdf", "status": "completed", "original_filename": "letter.pdf",
        "page_count": 2, "estimated_credits": 2, "reserved_credits": 2,
        "charged_credits": 2, "finalized": True, "created_at": "2025-10-04T10:00:00Z",
        "started_at": "2025-10-04T10:00:01Z", "finished_at": "2025-10-04T10:00:09Z",
        "updated_at": "2025-10-04T10:00:09Z", "progress_percent": 100,
        "current_step": None, "total_chunks": 1, "processed_chunks": 1, "active_chunks": 0,
        "partial": False, "failed_chunks": [], "failed_chunk_count": 0,
        "celery_task_id": "job_123_1759572001.123456",
        "task_state": {"state": "SUCCESS", "info": {"current": 1, "total": 1}},
        "processing_time_seconds": 8.2, "error": None, "error_type": None,
        "retryable": None, "result": {
            "sentence_count": 2, "downloads": {
                "json": "/api/v1/jobs/123/result?format=json",
                "text": "/api/v1/jobs/123/result?format=txt"},
            "ocr": "auto", "text_engine": "pypdf", "ocr_pages": [], "empty_pages": [],
            "unread_scanned_pages": [], "warnings": []},
        "model": "gemini-2.5-flash", "gemini_api_calls": 1, "gemini_tokens_used": 812,
        "job_id": 123, "sentences": ["Dear Anna,", "Thank you for your letter."],
        "sentence_count": 2}]})

    job_id: int
    sentences: list[str]
    sentence_count: int
