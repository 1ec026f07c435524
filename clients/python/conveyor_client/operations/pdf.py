"""PDFs (seed 001): confirm the upload (the job is created and its credits reserved),
start it with the same file and its options, follow it to its end."""

from typing import Any, Literal, TypedDict, Unpack

from conveyor_client.errors import ConveyorError
from conveyor_client.models import Job, PdfConfirmed, PdfStarted
from conveyor_client.operations import jobs
from conveyor_client.operations._common import FileInput, load_upload
from conveyor_client.steps import Call, Operation, ProgressCallback, Upload, create


class PdfOptions(TypedDict, total=False):
    """Seed 001's processing options; the server's defaults apply to those not given."""

    sentence_length_limit: int
    gemini_model: Literal["balanced", "quality", "speed"]
    ignore_dialogue: bool
    preserve_formatting: bool
    fix_hyphenation: bool
    min_sentence_length: int
    ocr: Literal["auto", "always", "never"]
    text_engine: Literal["pypdf", "pdfium"]


def confirm(file: FileInput, *, filename: str | None = None, callback_url: str | None = None,
            idempotency_key: str | None = None) -> Operation[PdfConfirmed]:
    """Upload a PDF: the job is created, its pages counted and the estimate reserved
    (402 INSUFFICIENT_CREDITS when short). The same `idempotency_key` again answers
    with the same job."""
    upload = load_upload(file, filename=filename, default_name="document.pdf")
    return (yield from _confirm(upload, callback_url=callback_url,
                                idempotency_key=idempotency_key))


def start(job_id: int, file: FileInput, *, filename: str | None = None,
          **options: Unpack[PdfOptions]) -> Operation[PdfStarted]:
    """Start a confirmed job with the file it was confirmed with."""
    upload = load_upload(file, filename=filename, default_name="document.pdf")
    return PdfStarted.model_validate((yield _start_call(job_id, upload, options)))


def submit(file: FileInput, *, filename: str | None = None, wait: bool = True,
           on_progress: ProgressCallback | None = None, timeout: float | None = None,
           callback_url: str | None = None, idempotency_key: str | None = None,
           **options: Unpack[PdfOptions]) -> Operation[Job]:
    """Confirm and start a PDF job; with `wait`, follow it to its end, calling
    `on_progress(snapshot)` as it goes. Its status document (the last one when waited
    for). Raises JobFailed when it fails, WaitTimeout after `timeout` seconds."""
    upload = load_upload(file, filename=filename, default_name="document.pdf")
    confirmed = yield from _confirm(upload, callback_url=callback_url,
                                    idempotency_key=idempotency_key)
    yield from _start_once(confirmed.job_id, upload, options)
    if wait:
        return (yield from jobs.wait(confirmed.job_id, on_progress=on_progress,
                                     timeout=timeout))
    return (yield from jobs.get_job(confirmed.job_id))


def _confirm(upload: Upload, *, callback_url: str | None,
             idempotency_key: str | None) -> Operation[PdfConfirmed]:
    form = {"callback_url": callback_url} if callback_url else None
    # The gateway honours the key here: a confirm resent after a lost answer, or a whole
    # submit repeated with the same key, finds the job made the first time.
    call = create("/api/v1/jobs/confirm", form=form, files={"pdf_file": upload},
                  key_honoured=True, idempotency_key=idempotency_key)
    return PdfConfirmed.model_validate((yield call))


def _start_once(job_id: int, upload: Upload, options: PdfOptions) -> Operation[None]:
    """Start the job, unless it already was: by this start's first attempt, whose answer
    was lost, or by an earlier submit with the same idempotency key."""
    try:
        yield _start_call(job_id, upload, options)
    except ConveyorError as error:
        if error.error_type != "INVALID_STATE":
            raise
        job = yield from jobs.get_job(job_id)
        if job.kind != "pdf" or job.status == "pending":
            raise


def _start_call(job_id: int, upload: Upload, options: PdfOptions) -> Call:
    form = {"job_id": str(job_id), **{name: _form_value(value)
                                      for name, value in options.items()}}
    # Only a pending job starts (400 INVALID_STATE after that): resending cannot start
    # it twice.
    return Call(method="POST", path="/api/v1/process-pdf-async", form=form,
                files={"pdf_file": upload}, replay_safe=True)


def _form_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
