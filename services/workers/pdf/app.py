"""The PDF worker's Celery app: `celery -A services.workers.pdf.app worker -Q pdf`."""

from shared.celery_app import create_celery_app
from shared.logging import configure_logging

configure_logging("worker-pdf")
app = create_celery_app("worker-pdf", include=["services.workers.pdf.tasks"])
