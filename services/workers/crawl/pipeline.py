"""One crawl chunk (seed 004): one keyword on one engine, keeping at most its quota.

Candidates come best first from the engine; each is downloaded through the `Fetcher`
(address policy, robots.txt, redirects, size limit), must be an image by its bytes, and is
kept once per job (SHA-256). A kept image and the chunk's count move in one transaction,
refused once the job was cancelled, so the credits charged are exactly the images kept.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from collections import Counter
from collections.abc import Callable

import redis
from PIL import Image
from sqlalchemy.orm import Session

from services.workers.crawl.engines import ENGINES
from services.workers.crawl.engines.base import (
    Candidate,
    EngineNotConfigured,
    PageRefusal,
    SearchEngine,
)
from services.workers.crawl.fetcher import Fetched, Fetcher, FetchRefused
from services.workers.crawl.settings import CrawlSettings, get_crawl_settings
from shared import storage
from shared.crawl import repository as crawl_repo
from shared.crawl.formats import EXTENSIONS
from shared.crawl.models import CrawlImage
from shared.crawl.params import CrawlRequest, Engine
from shared.db import session_scope
from shared.errors import ConveyorError, ErrorCode
from shared.images import SNIFF_BYTES, sniff_image_format
from shared.jobs import repository as jobs_repo
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput, ChunkStopped

log = logging.getLogger(__name__)
AREA = "crawl"
# Declared types that may still hold an image (servers often send these for files).
_UNSPECIFIC_TYPES = ("", "application/octet-stream", "binary/octet-stream")
_SAMPLE_REFUSALS = 20  # refusal details kept in the chunk result, for the user to read


def process_crawl_chunk(context: ChunkContext) -> ChunkOutput:
    settings = get_crawl_settings()
    request = CrawlRequest.model_validate(context.params)
    keyword, engine_name = context.spec["keyword"], Engine(context.spec["engine"])
    quota = int(context.spec["max_images"])
    fetcher = Fetcher(settings, redis_client=_redis(settings))
    refused: Counter[str] = Counter()
    samples: list[dict[str, str]] = []
    kept, duplicates = _kept_by_earlier_attempts(context), 0
    engine: SearchEngine | None = None
    try:
        engine = ENGINES[engine_name](fetcher, settings)
        candidates = engine.candidates(keyword, request, limit=quota) if quota else iter(())
        for candidate in candidates:
            if kept >= quota:
                break
            context.report(kept)  # heartbeat, and stop once the job was cancelled
            try:
                fetched = fetcher.get(candidate.url, max_bytes=settings.crawl_max_image_bytes,
                                      accept="image/*")
                image = _image_row(context, candidate, fetched, keyword, engine_name)
            except FetchRefused as refusal:
                refused[refusal.reason] += 1
                if len(samples) < _SAMPLE_REFUSALS:
                    samples.append({"url": candidate.url, "reason": refusal.reason,
                                    "detail": refusal.detail[:300]})
                continue
            if _keep(context, image, fetched.body, kept_before=kept):
                kept += 1
            else:
                duplicates += 1
    except EngineNotConfigured as exc:
        raise ConveyorError(ErrorCode.INPUT_INVALID, str(exc)) from exc
    except FetchRefused as exc:  # the engine itself (a search API) could not be used
        raise ConveyorError(ErrorCode.UPSTREAM_UNAVAILABLE, str(exc)) from exc
    finally:
        fetcher.close()
    pages = engine.refused_pages if engine is not None else []
    _fail_if_every_seed_refused(request, pages)
    page_refusals = [{"url": p.url, "reason": p.reason, "detail": p.detail}
                     for p in pages[:_SAMPLE_REFUSALS]]
    refused_urls = [*page_refusals, *samples]
    summary = {"keyword": keyword, "engine": engine_name.value, "kept": kept,
               "quota": quota, "duplicates": duplicates, "refused": dict(refused),
               "refused_samples": samples, "refused_pages": page_refusals}
    return ChunkOutput(result={"items": [summary]}, units_done=kept,
                       metrics={"downloaded_images": kept, "duplicate_images": duplicates,
                                "refused_images": sum(refused.values()),
                                "refused_pages": len(pages),
                                # Listed in the job's result (lists add up over chunks).
                                "refused_urls": refused_urls},
                       store=_with_refusal_event(context, summary, refused_urls))


def _fail_if_every_seed_refused(request: CrawlRequest, pages: list[PageRefusal]) -> None:
    """A crawl that could not start anywhere fails, saying which URLs were refused,
    rather than completing with no images and no reason."""
    refused = [p for p in pages if p.seed and p.reason == "address_refused"]
    seeds = {str(url) for url in request.seed_urls}
    if seeds and len({p.url for p in refused}) >= len(seeds):
        listed = "; ".join(f"{p.url} ({p.detail})" for p in refused[:_SAMPLE_REFUSALS])
        raise ConveyorError(ErrorCode.ADDRESS_REFUSED,
                            f"every seed URL was refused by the address policy: {listed}")


def _with_refusal_event(context: ChunkContext, summary: dict[str, object],
                        refused_urls: list[dict[str, str]]
                        ) -> Callable[[Session], dict[str, object]]:
    """The chunk's result, and an event listing its refusals, written with the chunk's
    completion (so a chunk whose job was cancelled meanwhile writes neither)."""

    def store(session: Session) -> dict[str, object]:
        if refused_urls:
            jobs_repo.add_event(session, job_id=context.job_id, chunk_index=context.index,
                                event_type="refused", attempt=context.attempt,
                                count=len(refused_urls), urls=refused_urls)
        return {"items": [summary]}

    return store


def _kept_by_earlier_attempts(context: ChunkContext) -> int:
    """A retried chunk goes on from the images its earlier attempts kept: they count
    towards its quota and its charge, and finding them again counts as a duplicate."""
    if context.attempt == 1:
        return 0
    with session_scope() as session:
        return crawl_repo.count_of_chunk(session, job_id=context.job_id,
                                         chunk_index=context.index)


def _image_row(context: ChunkContext, candidate: Candidate, fetched: Fetched, keyword: str,
               engine: Engine) -> CrawlImage:
    declared = (fetched.content_type or "").split(";")[0].strip().lower()
    if not declared.startswith("image/") and declared not in _UNSPECIFIC_TYPES:
        raise FetchRefused("not_an_image", f"{fetched.url} is {declared}")
    detected = sniff_image_format(fetched.body[:SNIFF_BYTES])
    if detected is None:
        raise FetchRefused("not_an_image", f"{fetched.url}: its bytes are no known image "
                           "format")
    width, height = _header_size(fetched.body)
    return CrawlImage(
        job_id=context.job_id, user_id=context.user_id, chunk_index=context.index,
        keyword=keyword, engine=engine.value, source_url=fetched.url[:2048],
        page_url=(candidate.page_url or "")[:2048] or None,
        alt_text=(candidate.alt_text or "")[:1000] or None, relevance=candidate.relevance,
        sha256=hashlib.sha256(fetched.body).hexdigest(), path="",
        size_bytes=len(fetched.body), declared_type=fetched.content_type,
        detected_format=detected, width=width, height=height)


def _header_size(body: bytes) -> tuple[int | None, int | None]:
    """Width and height from the header only; (None, None) when it cannot be read (the
    validation levels judge such files)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(body)) as image:
                return image.size
    except Exception:  # any header Pillow cannot parse leaves the size unknown
        return None, None


def _keep(context: ChunkContext, image: CrawlImage, body: bytes, *, kept_before: int) -> bool:
    """Store the file and its row, and count it on the chunk; False for a duplicate."""
    image.path = storage.write_bytes(AREA, EXTENSIONS[image.detected_format], body)
    try:
        with session_scope() as session:
            if not crawl_repo.add_unless_duplicate(session, image):
                storage.discard(image.path)
                return False
            alive = jobs_repo.touch_heartbeat(session, chunk_id=context.chunk_id,
                                              attempt=context.attempt,
                                              units_done=kept_before + 1)
            if not alive:
                raise ChunkStopped  # cancelled meanwhile: the rollback drops the row
    except BaseException:
        storage.discard(image.path)
        raise
    return True


def _redis(settings: CrawlSettings) -> redis.Redis | None:
    return redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
