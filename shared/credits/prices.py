"""Credits each job kind costs, per unit, in one table."""

from shared.jobs.models import JobKind

CREDITS_PER_UNIT: dict[JobKind, int] = {
    JobKind.PDF: 1,             # per page
    JobKind.RECEIPT: 1,         # per file
    JobKind.PAGE_OCR: 1,        # per page
    JobKind.PAGE_BATCH: 1,      # per page
    JobKind.COLOR_TRANSFER: 2,  # per image
    JobKind.CRAWL: 1,           # per image allowed
    JobKind.VALIDATION: 0,      # per image
}


# Kinds whose API has no finalize step (seeds 000, 002, 003): settled as they complete.
SETTLED_ON_COMPLETION: frozenset[JobKind] = frozenset({
    JobKind.RECEIPT, JobKind.PAGE_OCR, JobKind.PAGE_BATCH, JobKind.COLOR_TRANSFER,
    JobKind.VALIDATION})


# Kinds whose cancellation still charges the units already delivered (seed 004: a crawl
# refunds what was not used; seed 003: a page task keeps, and pays for, the pages it read);
# every other kind is refunded whole when cancelled.
BILLED_FOR_PARTIAL_WORK: frozenset[JobKind] = frozenset({
    JobKind.CRAWL, JobKind.PAGE_OCR, JobKind.PAGE_BATCH})


def estimate_credits(kind: JobKind, units: int) -> int:
    return CREDITS_PER_UNIT[kind] * units
