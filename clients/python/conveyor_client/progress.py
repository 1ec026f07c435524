"""Progress while waiting: one snapshot shape for every kind of work, reported when it
changes, and the deadline a wait keeps."""

from __future__ import annotations

import time
from dataclasses import dataclass

from conveyor_client.models import Job, PageTask, ReceiptStatus, TransferTask
from conveyor_client.steps import ProgressCallback


@dataclass(frozen=True, kw_only=True)
class ProgressSnapshot:
    """Where a job stands: `percent` 0-100 (never lower than an earlier snapshot's),
    `step` in the server's words (a step code, or "Processing chunk 2/3"), `status` in
    the vocabulary of the route that was asked."""

    job_id: int | str
    status: str
    percent: int
    step: str | None


class ProgressReporter:
    """Calls `on_progress` with each snapshot that differs from the last one reported."""

    def __init__(self, on_progress: ProgressCallback | None) -> None:
        self._on_progress = on_progress
        self._last: ProgressSnapshot | None = None

    def report(self, snapshot: ProgressSnapshot) -> None:
        if self._last is not None:
            # Chunks finish out of order and a retry starts a step again: what a caller
            # draws as a progress bar should not move back.
            snapshot = ProgressSnapshot(job_id=snapshot.job_id, status=snapshot.status,
                                        percent=max(snapshot.percent, self._last.percent),
                                        step=snapshot.step)
        if snapshot == self._last:
            return
        self._last = snapshot
        if self._on_progress is not None:
            self._on_progress(snapshot)


class Deadline:
    """The end of a wait; None waits as long as the work takes."""

    def __init__(self, timeout: float | None) -> None:
        self._ends_at = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        return None if self._ends_at is None else max(0.0, self._ends_at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self._ends_at is not None and time.monotonic() >= self._ends_at


def of_job(job: Job) -> ProgressSnapshot:
    return ProgressSnapshot(job_id=job.id, status=job.status, percent=job.progress_percent,
                            step=job.current_step)


def of_receipt(receipt: ReceiptStatus) -> ProgressSnapshot:
    return ProgressSnapshot(job_id=receipt.job_id, status=receipt.status,
                            percent=receipt.progress, step=receipt.step)


def of_page_task(task: PageTask) -> ProgressSnapshot:
    percent = 100 * task.current // task.total if task.total else 0
    return ProgressSnapshot(job_id=task.task_id, status=task.status, percent=percent,
                            step=f"{task.current}/{task.total} pages")


def of_transfer(task: TransferTask) -> ProgressSnapshot:
    return ProgressSnapshot(job_id=task.task_id, status=task.state,
                            percent=task.progress or 0, step=task.status)
