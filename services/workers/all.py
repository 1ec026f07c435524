"""Every domain's tasks in one worker, for the embedded default (`make run`)."""

from shared.celery_app import create_worker_app

DOMAIN_TASK_MODULES = ["services.workers.pdf.tasks", "services.workers.ocr.tasks",
                       "services.workers.color.tasks", "services.workers.crawl.tasks"]
app = create_worker_app("worker-all", include=DOMAIN_TASK_MODULES)
