"""The colour worker's Celery app: `celery -A services.workers.color.app worker -Q color`."""

from shared.celery_app import create_celery_app
from shared.logging import configure_logging

configure_logging("worker-color")
app = create_celery_app("worker-color", include=["services.workers.color.tasks"])
