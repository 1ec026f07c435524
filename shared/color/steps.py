"""The colour transfer's milestones (seed 000): what the worker reports, what
GET /api/v1/task/{task_id} shows as `progress` and `status`. One table for both."""

from shared.jobs.steps import Step, by_code

LOADING = Step("LOADING", 10, "Loading image...")
TRANSFER = Step("TRANSFER", 30, "Processing color transfer...")
QUALITY_CONTROL = Step("QUALITY_CONTROL", 60, "Running quality control...")
SAVING = Step("SAVING", 80, "Saving results...")
DONE = Step("DONE", 100, "Complete")

STEPS: dict[str, Step] = by_code(LOADING, TRANSFER, QUALITY_CONTROL, SAVING, DONE)

# Keyed by the seed's task states, for a job that is not inside a step.
STATE_MESSAGES: dict[str, str] = {
    "PENDING": "Task is waiting to be processed...",
    "STARTED": "Task has started...",
    "RETRY": "Task is being retried after a transient error...",
    "SUCCESS": DONE.message,
    "FAILURE": "Task failed",
    "REVOKED": "Task was cancelled",
}
