"""The crawl worker's Celery app: `celery -A services.workers.crawl.app worker -Q crawl`."""

from shared.celery_app import create_worker_app

app = create_worker_app("worker-crawl", include=["services.workers.crawl.tasks"])
