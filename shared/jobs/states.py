"""The job state machine and the status vocabularies of each API, in one place.

Every transition in the code base goes through `shared.jobs.repository.transition_job`,
which only updates a row whose current status is one of the allowed sources below.
"""

from enum import StrEnum

from shared.jobs.models import JobStatus

S = JobStatus

TERMINAL: frozenset[JobStatus] = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED})
ACTIVE: frozenset[JobStatus] = frozenset({S.QUEUED, S.RUNNING, S.RETRYING})
CANCELLABLE: frozenset[JobStatus] = frozenset({S.PENDING, *ACTIVE})

# target -> statuses it may be entered from. A cancelled job can never become completed.
ALLOWED_SOURCES: dict[JobStatus, frozenset[JobStatus]] = {
    S.QUEUED: frozenset({S.PENDING, S.RUNNING, S.RETRYING}),  # start, or reaper requeue
    S.RUNNING: frozenset({S.QUEUED, S.RETRYING}),
    S.RETRYING: frozenset({S.RUNNING}),
    S.COMPLETED: frozenset({S.RUNNING}),
    S.FAILED: frozenset({S.PENDING, *ACTIVE}),
    S.CANCELLED: CANCELLABLE,
}


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return current in ALLOWED_SOURCES.get(target, frozenset())


class Vocabulary(StrEnum):
    """The public status words of each seed document's API."""

    V1_JOBS = "v1_jobs"          # seed 001
    V1_CRAWL = "v1_crawl"        # seed 004
    V1_COLOR = "v1_color"        # seed 000
    V1_PAGES = "v1_pages"        # seed 003
    V3_RECEIPTS = "v3_receipts"  # seed 002


_COLUMNS = (Vocabulary.V1_JOBS, Vocabulary.V1_CRAWL, Vocabulary.V1_COLOR,
            Vocabulary.V1_PAGES, Vocabulary.V3_RECEIPTS)

_TABLE: dict[JobStatus, tuple[str, str, str, str, str]] = {
    S.PENDING: ("pending", "pending", "PENDING", "queued", "PENDING"),
    S.QUEUED: ("pending", "pending", "PENDING", "queued", "PENDING"),
    S.RUNNING: ("processing", "running", "STARTED", "processing", "STARTED"),
    S.RETRYING: ("processing", "running", "RETRY", "processing", "RETRY"),
    S.COMPLETED: ("completed", "completed", "SUCCESS", "completed", "SUCCESS"),
    S.FAILED: ("failed", "failed", "FAILURE", "failed", "FAILURE"),
    S.CANCELLED: ("cancelled", "cancelled", "REVOKED", "cancelled", "REVOKED"),
}


def statuses_for(word: str, vocabularies: tuple[Vocabulary, ...]) -> list[JobStatus]:
    """The internal statuses a public word stands for in any of the given vocabularies."""
    columns = [_COLUMNS.index(v) for v in vocabularies]
    return [status for status, words in _TABLE.items() if any(words[c] == word for c in columns)]


def public_status(status: JobStatus, vocabulary: Vocabulary, *, progress: int = 0) -> str:
    """Render an internal status in one API's words (v3 says PROGRESS once work moved)."""
    word = _TABLE[status][_COLUMNS.index(vocabulary)]
    if vocabulary is Vocabulary.V3_RECEIPTS and word == "STARTED" and progress > 0:
        return "PROGRESS"
    return word
