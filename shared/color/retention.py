"""Seed 000: colour uploads and results are kept 24 hours (COLOR_RETENTION_HOURS); the
hourly cleanup on beat deletes their files, stamps the images `removed_at`, and logs a
`files_removed` event on each result's job, so its task status and downloads say so."""

from datetime import datetime

from shared import storage
from shared.color import repository as repo
from shared.color.models import ColorImageRole
from shared.db import session_scope, utcnow
from shared.jobs import repository as jobs_repo


def remove_expired_images(now: datetime | None = None) -> int:
    """Delete the files of every expired colour image; returns how many images."""
    now = now or utcnow()
    with session_scope() as session:
        images = repo.expired_images(session, now=now)
        for image in images:
            # A failed commit leaves the rows unstamped: the next run deletes (missing_ok)
            # and stamps them again.
            storage.delete(image.path)
            storage.delete(image.preview_path)
            storage.delete(image.pixels_path)
            if image.role == ColorImageRole.RESULT and image.job_id is not None:
                jobs_repo.add_event(session, job_id=image.job_id, event_type="files_removed",
                                    result_job_id=image.public_id,
                                    reason="kept 24 hours, then removed by the hourly cleanup")
        repo.mark_removed(session, image_ids=[image.id for image in images], at=now)
    return len(images)
