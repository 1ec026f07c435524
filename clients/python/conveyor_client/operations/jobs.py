"""Jobs of any kind, by their integer id (seeds 001 and 004)."""

from conveyor_client.models import (
    Job,
    JobCancelled,
    JobEvents,
    JobFinalized,
    JobList,
    JobProgress,
    JobResult,
    JobStarted,
)
from conveyor_client.operations._common import raise_if_failed
from conveyor_client.steps import Call, FollowJob, Operation, ProgressCallback, get

JOBS = "/api/v1/jobs"


def get_job(job_id: int) -> Operation[Job]:
    """The job's status document."""
    return Job.model_validate((yield get(f"{JOBS}/{job_id}")))


def list_jobs(*, status: str | None = None, kind: str | None = None, limit: int = 20,
              offset: int = 0) -> Operation[JobList]:
    """Your jobs, newest first; `status` pending, processing, completed, failed or
    cancelled; `kind` pdf, receipt, page_ocr, page_batch, color_transfer, crawl, validation."""
    return JobList.model_validate((yield get(JOBS, status=status, kind=kind, limit=limit,
                                             offset=offset)))


def progress(job_id: int) -> Operation[JobProgress]:
    """Chunk statistics (seed 004's document)."""
    return JobProgress.model_validate((yield get(f"{JOBS}/{job_id}/progress")))


def events(job_id: int, *, limit: int = 200, offset: int = 0) -> Operation[JobEvents]:
    """The job's event log, oldest first: status changes, attempts, steps, credits."""
    return JobEvents.model_validate((yield get(f"{JOBS}/{job_id}/events", limit=limit,
                                               offset=offset)))


def start(job_id: int) -> Operation[JobStarted]:
    """Start a pending job (a crawl): one task per chunk."""
    return JobStarted.model_validate((yield Call(method="POST", path=f"{JOBS}/{job_id}/start")))


def cancel(job_id: int) -> Operation[JobCancelled]:
    """Cancel a pending or processing job; its reserved credits come back."""
    return JobCancelled.model_validate((yield Call(method="POST",
                                                   path=f"{JOBS}/{job_id}/cancel")))


def finalize(job_id: int) -> Operation[JobFinalized]:
    """Settle a completed job: charge what it used, release the rest."""
    return JobFinalized.model_validate((yield Call(method="POST",
                                                   path=f"{JOBS}/{job_id}/finalize",
                                                   replay_safe=True)))


def result(job_id: int) -> Operation[JobResult]:
    """A completed PDF job's sentences."""
    return JobResult.model_validate((yield get(f"{JOBS}/{job_id}/result", format="json")))


def result_text(job_id: int) -> Operation[str]:
    """A completed PDF job's sentences as text, one a line."""
    call = Call(method="GET", path=f"{JOBS}/{job_id}/result", params={"format": "txt"},
                read="text")
    return str((yield call))


def wait(job_id: int, *, on_progress: ProgressCallback | None = None,
         timeout: float | None = None) -> Operation[Job]:
    """Follow the job over its event stream until it has ended; its last status document.
    Raises JobFailed when it failed or was cancelled, WaitTimeout after `timeout` s."""
    job = yield FollowJob(job_id=job_id, on_progress=on_progress, timeout=timeout)
    assert isinstance(job, Job)
    raise_if_failed(job, succeeded=job.status == "completed", what=f"job {job_id}")
    return job
