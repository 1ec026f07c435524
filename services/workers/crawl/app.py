"""The crawl worker's Celery app: `celery -A services.workers.crawl.app worker -Q crawl`."""

from shared.celery_app import create_celery_app
from shared.logging import configure_logging

configure_logging("worker-crawl")
app = create_celery_app("worker-crawl", include=["services.workers.crawl.tasks"])
