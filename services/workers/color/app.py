"""The colour worker's Celery app: `celery -A services.workers.color.app worker -Q color`."""

from shared.celery_app import create_worker_app

app = create_worker_app("worker-color", include=["services.workers.color.tasks"])
