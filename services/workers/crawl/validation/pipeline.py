"""One validation batch (seed 004): check each image at the run's level, then record the
verdicts, and at the slow level the near-duplicates, in one transaction.

Near-duplicates span batches, which run in parallel. The recording transaction holds the
validation job's row lock, so batches record one after another and each compares its own
hashes with every hash already in the job: whichever of two similar images is recorded
second sees the first. Of a pair the later image (higher id) is the duplicate, so the
outcome does not depend on the order batches ran in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session

from services.workers.crawl.settings import CrawlSettings, get_crawl_settings
from services.workers.crawl.validation.checks import Findings, KeptFile, Rules, check
from services.workers.crawl.validation.hashing import near_pairs
from shared import storage
from shared.crawl import repository as crawl_repo
from shared.crawl.models import CrawlImage
from shared.crawl.params import ValidationLevel
from shared.db import session_scope, utcnow
from shared.jobs import repository as jobs_repo
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput, ChunkStopped
from shared.jobs.models import Job, JobChunk, JobStatus
from shared.settings import get_settings

NEAR_DUPLICATE = "near_duplicate"


def process_validation_chunk(context: ChunkContext) -> ChunkOutput:
    settings = get_crawl_settings()
    level = ValidationLevel(context.params["level"])
    crawl_job_id = int(context.params["crawl_job_id"])
    with session_scope() as session:
        kept = {image.id: _kept_file_of(image) for image in crawl_repo.images_by_ids(
            session, job_id=crawl_job_id, ids=list(context.spec["image_ids"]))}
    rules = rules_from(settings)
    findings: dict[int, Findings] = {}
    for done, (image_id, reader) in enumerate(kept.items()):
        context.report(done)  # heartbeat, and stop once the run was cancelled
        findings[image_id] = check(reader(), level, rules)
    duplicates = _record(context, crawl_job_id=crawl_job_id, level=level, findings=findings,
                         max_distance=settings.validation_duplicate_distance)
    reasons = Counter(reason.code for found in findings.values() for reason in found.reasons)
    return ChunkOutput(
        result={"items": [{"image_ids": sorted(findings), "reasons": dict(reasons),
                           "near_duplicates_found": duplicates}]},
        units_done=len(findings), metrics={"validated_images": len(findings)})


def rules_from(settings: CrawlSettings) -> Rules:
    return Rules(max_bytes=settings.crawl_max_image_bytes,
                 max_pixels=get_settings().max_image_pixels,
                 min_width=settings.validation_min_width,
                 min_height=settings.validation_min_height,
                 allowed_formats=frozenset(
                     name.strip() for name in settings.validation_allowed_formats.split(",")),
                 blur_threshold=settings.validation_blur_threshold,
                 near_empty_share=settings.validation_near_empty_share)


def _kept_file_of(image: CrawlImage) -> Callable[[], KeptFile]:
    """A reader of the image's file, detached from the session (read outside it)."""
    size, declared, detected, path = (image.size_bytes, image.declared_type,
                                      image.detected_format, image.path)

    def read() -> KeptFile:
        try:
            body = storage.read_bytes(path) if path else None
        except storage.ObjectMissing:
            body = None  # judged as a file that cannot be read
        return KeptFile(size_bytes=size, declared_type=declared, detected_format=detected,
                        body=body)
    return read


def _record(context: ChunkContext, *, crawl_job_id: int, level: ValidationLevel,
            findings: dict[int, Findings], max_distance: int) -> int:
    """Write the verdicts; at the slow level mark near-duplicates. Returns how many
    images this batch marked as near-duplicates (its own or earlier batches')."""
    with session_scope() as session:
        locked = jobs_repo.lock_job_of_chunk(session, context.chunk_id)
        if locked is None or _stopped(*locked, attempt=context.attempt):
            raise ChunkStopped
        now = utcnow()
        for image in crawl_repo.images_by_ids(session, job_id=crawl_job_id,
                                              ids=list(findings)):
            _apply(image, findings[image.id], level=level, now=now)
        session.flush()
        if level is not ValidationLevel.SLOW:
            return 0
        return _mark_near_duplicates(session, crawl_job_id=crawl_job_id,
                                     probe_ids=set(findings), max_distance=max_distance)


def _stopped(job: Job, chunk: JobChunk, *, attempt: int) -> bool:
    return job.cancel_requested or chunk.status != JobStatus.RUNNING \
        or chunk.attempts != attempt


def _apply(image: CrawlImage, found: Findings, *, level: ValidationLevel,
           now: datetime) -> None:
    image.validation_level = level.value
    image.verdict = "invalid" if found.reasons else "valid"
    image.reasons = [asdict(reason) for reason in found.reasons]
    image.perceptual_hash = found.perceptual_hash  # cleared below the slow level
    image.validated_at = now
    if found.width is not None:
        image.width, image.height = found.width, found.height


def _mark_near_duplicates(session: Session, *, crawl_job_id: int, probe_ids: set[int],
                          max_distance: int) -> int:
    known = crawl_repo.perceptual_hashes_of_job(session, crawl_job_id)
    pairs = near_pairs([image_id for image_id, _ in known], [value for _, value in known],
                       probe_ids=probe_ids, max_distance=max_distance)
    originals: dict[int, int] = {}
    for earlier, later in pairs:  # the earliest similar image is the one a later copies
        originals[later] = min(earlier, originals.get(later, earlier))
    images = {image.id: image for image in crawl_repo.images_by_ids(
        session, job_id=crawl_job_id, ids=list(originals))}
    for later, earlier in originals.items():
        _mark_duplicate(images[later], of_image=earlier)
    return len(originals)


def _mark_duplicate(image: CrawlImage, *, of_image: int) -> None:
    """Name the earliest image this one copies; a batch recorded before may have found
    an earlier one already."""
    reasons = list(image.reasons or [])
    marked = next((r for r in reasons if r.get("code") == NEAR_DUPLICATE), None)
    if marked is not None and marked["image_id"] <= of_image:
        return
    reasons = [r for r in reasons if r is not marked]
    reasons.append({"code": NEAR_DUPLICATE, "image_id": of_image,
                    "message": f"a near-duplicate of image {of_image}"})
    image.reasons = reasons
    image.verdict = "invalid"
