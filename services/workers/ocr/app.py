"""The OCR worker's Celery app: `celery -A services.workers.ocr.app worker -Q ocr`."""

from shared.celery_app import create_celery_app
from shared.logging import configure_logging

configure_logging("worker-ocr")
app = create_celery_app("worker-ocr", include=["services.workers.ocr.tasks"])
