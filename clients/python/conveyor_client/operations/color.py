"""Colours (seed 000): RAL matching, image uploads, colour transfer and its downloads."""

from collections.abc import Sequence
from typing import Any

from conveyor_client.errors import WaitTimeout
from conveyor_client.models import ColourMatch, ColourUpload, TransferAccepted, TransferTask
from conveyor_client.operations._common import FileInput, load_upload, raise_if_failed
from conveyor_client.progress import Deadline, ProgressReporter, of_transfer
from conveyor_client.steps import Call, Operation, ProgressCallback, create

API = "/api/v1"
# The task route's long poll answers the moment the task ends; while something draws the
# progress, shorter waits let its milestones (10/30/60/80) through as they pass.
_LONG_POLL_SECONDS = 10.0
_LONG_POLL_WITH_PROGRESS_SECONDS = 1.0


def match(*, rgb: Sequence[int] | None = None, hex: str | None = None,
          lab: Sequence[float] | None = None, ral: str | None = None, top_n: int = 5,
          formula: str = "CIEDE2000", group: str | None = None) -> Operation[ColourMatch]:
    """The RAL colours nearest to one colour given as exactly one of `rgb`, `hex`, `lab`
    or `ral`, with their Delta E (`formula` CIEDE2000, CIE94 or CIE76)."""
    given = {"rgb": rgb and list(rgb), "hex": hex, "lab": lab and list(lab), "ral": ral,
             "group": group}
    body: dict[str, Any] = {"top_n": top_n, "formula": formula,
                            **{name: value for name, value in given.items() if value}}
    # A question, not a creation: asking again is harmless.
    call = Call(method="POST", path=f"{API}/color/match", json=body, replay_safe=True)
    return ColourMatch.model_validate((yield call))


def upload(file: FileInput, *, filename: str | None = None) -> Operation[ColourUpload]:
    """Upload an image (JPEG, PNG, WebP, TIFF); its upload id (`job_id`), size and
    dominant RAL colours. Kept 24 hours."""
    content = load_upload(file, filename=filename, default_name="image.png")
    return ColourUpload.model_validate((yield create(f"{API}/upload",
                                                     files={"file": content})))


def transfer(upload_id: str, target_ral_code: str, *, downsample: bool = True,
             strength: float = 1.0, mask_upload_id: str | None = None, wait: bool = True,
             on_progress: ProgressCallback | None = None, timeout: float | None = None,
             idempotency_key: str | None = None) -> Operation[TransferTask]:
    """Recolour an upload toward a RAL colour (2 credits, refunded if it fails); with
    `wait`, until it has ended: `result.downloads` then names the image and its preview.
    Raises JobFailed on FAILURE or REVOKED. The same `idempotency_key` again is the same
    task."""
    body = {"job_id": upload_id, "target_ral_code": target_ral_code,
            "downsample": downsample, "strength": strength, "mask_job_id": mask_upload_id}
    call = create(f"{API}/process/async", json=body, key_honoured=True,
                  idempotency_key=idempotency_key)
    accepted = TransferAccepted.model_validate((yield call))
    if not wait:
        return (yield from task(accepted.task_id))
    return (yield from wait_for(accepted.task_id, on_progress=on_progress, timeout=timeout))


def task(task_id: str, *, wait_seconds: float = 0) -> Operation[TransferTask]:
    """A transfer task's state; `wait_seconds` (at most 30): answer as soon as it ends."""
    call = Call(method="GET", path=f"{API}/task/{task_id}",
                params={"wait_seconds": wait_seconds} if wait_seconds else None)
    return TransferTask.model_validate((yield call))


def wait_for(task_id: str, *, on_progress: ProgressCallback | None = None,
             timeout: float | None = None) -> Operation[TransferTask]:
    """Long-poll the task until it has ended."""
    reporter, deadline = ProgressReporter(on_progress), Deadline(timeout)
    longest = _LONG_POLL_WITH_PROGRESS_SECONDS if on_progress else _LONG_POLL_SECONDS
    while True:
        remaining = deadline.remaining()
        seconds = longest if remaining is None else min(longest, remaining)
        current = yield from task(task_id, wait_seconds=seconds)
        reporter.report(of_transfer(current))
        if current.ended:
            raise_if_failed(current, succeeded=current.state == "SUCCESS",
                            what=f"colour transfer {task_id}")
            return current
        if deadline.expired:
            raise WaitTimeout(f"colour transfer {task_id} has not ended within {timeout} s",
                              job_id=task_id)


def download(name: str) -> Operation[bytes]:
    """A result image or its preview, by file name or by the path `downloads` gives."""
    path = name if name.startswith("/") else f"{API}/download/{name}"
    # With presigned downloads the gateway redirects to the object store.
    call = Call(method="GET", path=path, read="bytes", follow_redirects=True)
    return bytes((yield call))
