"""Receipts, API v3 (seed 002): submit a photo, follow it, read its fields."""

from conveyor_client.models import ReceiptCancelled, ReceiptStatus, ReceiptSubmitted
from conveyor_client.operations._common import (
    FileInput,
    load_upload,
    poll_until_ended,
    raise_if_failed,
)
from conveyor_client.progress import of_receipt
from conveyor_client.steps import Call, Operation, ProgressCallback, create

RECEIPTS = "/api/v3/receipts"


def submit(file: FileInput, *, filename: str | None = None,
           idempotency_key: str | None = None) -> Operation[ReceiptSubmitted]:
    """Upload a receipt photo (JPEG, PNG, WebP, TIFF; at most 10 MB); its job_id (a
    uuid). The gateway honours `idempotency_key`: the same key again is the same job."""
    upload = load_upload(file, filename=filename, default_name="receipt.jpg")
    call = create(f"{RECEIPTS}/process", files={"file": upload}, key_honoured=True,
                  idempotency_key=idempotency_key, enveloped=True)
    return ReceiptSubmitted.model_validate((yield call))


def process(file: FileInput, *, filename: str | None = None, wait: bool = True,
            on_progress: ProgressCallback | None = None, timeout: float | None = None,
            idempotency_key: str | None = None) -> Operation[ReceiptStatus]:
    """Submit a receipt and, with `wait`, follow it until SUCCESS (its fields are in
    `result`); its status. Raises JobFailed on FAILURE or REVOKED."""
    submitted = yield from submit(file, filename=filename, idempotency_key=idempotency_key)
    if not wait:
        return (yield from status(submitted.job_id))
    return (yield from wait_for(submitted.job_id, on_progress=on_progress, timeout=timeout))


def status(job_id: str) -> Operation[ReceiptStatus]:
    """Status, step and progress; the receipt's fields once SUCCESS."""
    return ReceiptStatus.model_validate((yield _status_call(job_id)))


def wait_for(job_id: str, *, on_progress: ProgressCallback | None = None,
             timeout: float | None = None) -> Operation[ReceiptStatus]:
    """Poll the receipt until it has ended (v3 has no event stream by uuid)."""
    receipt = yield from poll_until_ended(
        lambda: _status_call(job_id), parse=ReceiptStatus.model_validate,
        snapshot=of_receipt, on_progress=on_progress, timeout=timeout, work_id=job_id)
    raise_if_failed(receipt, succeeded=receipt.status == "SUCCESS",
                    what=f"receipt {job_id}")
    return receipt


def cancel(job_id: str) -> Operation[ReceiptCancelled]:
    """Cancel a receipt that has not ended; its credit comes back."""
    call = Call(method="DELETE", path=f"{RECEIPTS}/cancel/{job_id}", enveloped=True)
    return ReceiptCancelled.model_validate((yield call))


def _status_call(job_id: str) -> Call:
    return Call(method="GET", path=f"{RECEIPTS}/status/{job_id}", enveloped=True)
