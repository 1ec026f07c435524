"""Periodic lifecycle tasks that beat schedules: outbox relay, reaper, file cleanup,
webhook retries; and the webhook deliveries themselves."""

import logging
from dataclasses import asdict

from celery import current_app, shared_task

from services.jobs.maintenance import webhooks
from shared import storage
from shared.celery_app import TaskName
from shared.color.retention import remove_expired_images
from shared.db import session_scope
from shared.jobs import repository as repo
from shared.jobs.outbox import relay_unsent
from shared.jobs.reaper import reap_stale_jobs, republish_after_broker_restart
from shared.settings import get_settings

log = logging.getLogger(__name__)


@shared_task(name=TaskName.RELAY_OUTBOX.value, ignore_result=True)
def relay_outbox() -> int:
    """Publish task messages whose post-commit publish never happened, and, after a broker
    restart, every queued chunk's again (the restarted broker lost them)."""
    republished = republish_after_broker_restart()
    sent = relay_unsent(current_app, older_than_seconds=get_settings().outbox_relay_after_seconds)
    if sent:
        log.info("outbox relay published %d messages", sent)
    return sent + republished


@shared_task(name=TaskName.REAP_STALE_JOBS.value, ignore_result=True)
def reap() -> dict[str, object]:
    """Requeue chunks whose worker went quiet; fail jobs past their deadline."""
    report = reap_stale_jobs()
    if any(count for count in asdict(report).values() if isinstance(count, int)):
        log.warning("reaper: %s", report)
    return asdict(report)


@shared_task(name=TaskName.CLEAN_OLD_FILES.value, ignore_result=True)
def clean_old_files() -> int:
    """Delete uploads of finished jobs once they are older than the retention period, and
    colour images past their 24 hours."""
    max_age = get_settings().file_retention_hours * 3600
    with session_scope() as session:
        in_use = repo.input_paths_in_use(session)
    removed = storage.remove_older_than(storage.UPLOADS_AREA, max_age_seconds=max_age, keep=in_use)
    removed += remove_expired_images()
    if removed:
        log.info("cleanup removed %d files", removed)
    return removed


@shared_task(name=TaskName.DELIVER_WEBHOOK.value, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    """One attempt of one webhook delivery."""
    return webhooks.deliver(delivery_id)


@shared_task(name=TaskName.RETRY_WEBHOOKS.value, ignore_result=True)
def retry_webhooks() -> int:
    """Send the webhook deliveries whose retry is due."""
    sent = webhooks.send_due(current_app)
    if sent:
        log.info("webhook retry scan sent %d deliveries", sent)
    return sent
