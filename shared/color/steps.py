"""The colour transfer's milestones (seed 000): what the worker reports, what
GET /api/v1/task/{task_id} shows as `progress` and `status`. One table for both."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TransferStep:
    code: str
    progress: int
    message: str


LOADING = TransferStep("LOADING", 10, "Loading image...")
TRANSFER = TransferStep("TRANSFER", 30, "Processing color transfer...")
QUALITY_CONTROL = TransferStep("QUALITY_CONTROL", 60, "Running quality control...")
SAVING = TransferStep("SAVING", 80, "Saving results...")
DONE = TransferStep("DONE", 100, "Complete")

STEPS: dict[str, TransferStep] = {step.code: step for step in (
    LOADING, TRANSFER, QUALITY_CONTROL, SAVING, DONE)}

# Keyed by the seed's task states, for a job that is not inside a step.
STATE_MESSAGES: dict[str, str] = {
    "PENDING": "Task is waiting to be processed...",
    "STARTED": "Task has started...",
    "RETRY": "Task is being retried after a transient error...",
    "SUCCESS": DONE.message,
    "FAILURE": "Task failed",
    "REVOKED": "Task was cancelled",
}
