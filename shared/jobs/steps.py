"""A job's milestones. The worker records a step's code as the job's `current_step` and its
percentage as the job's progress; the gateway shows its message."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    code: str
    progress: int
    message: str


def by_code(*steps: Step) -> dict[str, Step]:
    return {step.code: step for step in steps}
