"""The OCR worker's Celery app: `celery -A services.workers.ocr.app worker -Q ocr`."""

from shared.celery_app import create_worker_app

app = create_worker_app("worker-ocr", include=["services.workers.ocr.tasks"])
