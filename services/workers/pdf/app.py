"""The PDF worker's Celery app: `celery -A services.workers.pdf.app worker -Q pdf`."""

from shared.celery_app import create_worker_app

app = create_worker_app("worker-pdf", include=["services.workers.pdf.tasks"])
