"""Beat and the maintenance worker.

Run as `celery -A services.jobs.maintenance.app worker -B -Q maintenance`.

Every periodic task is safe to run from several beats at once (guarded updates and an
advisory lock), so a second beat started by mistake costs nothing but queries.
"""

from shared.celery_app import TaskName, create_celery_app
from shared.logging import configure_logging
from shared.settings import get_settings

settings = get_settings()


def _every(task: TaskName, seconds: float) -> dict[str, object]:
    # A run that waited longer than its own period is stale: the next one supersedes it.
    return {"task": task.value, "schedule": seconds, "options": {"expires": seconds}}


BEAT_SCHEDULE = {
    "relay-outbox": _every(TaskName.RELAY_OUTBOX,
                           max(1.0, settings.outbox_relay_after_seconds / 2)),
    "reap-stale-jobs": _every(TaskName.REAP_STALE_JOBS, settings.reaper_interval_seconds),
    "clean-old-files": _every(TaskName.CLEAN_OLD_FILES, 3600.0),
    "retry-webhooks": _every(TaskName.RETRY_WEBHOOKS, settings.webhook_retry_scan_seconds),
}
PERIODIC_TASKS = sorted(str(entry["task"]) for entry in BEAT_SCHEDULE.values())
# Celery's own lines about every periodic task (the relay's every 2.5 s) are dropped; the
# tasks log what they did, when they did something.
configure_logging("beat", quiet_tasks=PERIODIC_TASKS)
app = create_celery_app("conveyor-beat", include=["services.jobs.maintenance.tasks"])
app.conf.beat_schedule = BEAT_SCHEDULE
app.conf.beat_schedule_filename = str(settings.data_dir / "celerybeat-schedule")
