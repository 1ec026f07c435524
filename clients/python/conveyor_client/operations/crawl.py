"""Image crawls and the validation of their images (seed 004)."""

from collections.abc import Sequence
from typing import Literal

from conveyor_client.models import CrawlImages, CrawlJob, JobStarted, ValidationStarted
from conveyor_client.operations import jobs
from conveyor_client.steps import Operation, ProgressCallback, create, get


def create_crawl(keywords: Sequence[str], *, max_images: int,
                 engines: Sequence[str] | None = None, name: str | None = None,
                 seed_urls: Sequence[str] | None = None, max_depth: int | None = None,
                 max_pages: int | None = None, same_host: bool | None = None,
                 callback_url: str | None = None,
                 idempotency_key: str | None = None) -> Operation[CrawlJob]:
    """Create a crawl job, pending until started; `max_images` credits are reserved and
    only the images kept are charged. `engines`: web (needs `seed_urls`), bing, google.
    The same `idempotency_key` again is the same job."""
    given = {"name": name, "engines": engines and list(engines),
             "seed_urls": seed_urls and list(seed_urls), "max_depth": max_depth,
             "max_pages": max_pages, "same_host": same_host, "callback_url": callback_url}
    body = {"keywords": list(keywords), "max_images": max_images,
            **{field: value for field, value in given.items() if value is not None}}
    call = create("/api/v1/jobs", json=body, key_honoured=True,
                  idempotency_key=idempotency_key)
    return CrawlJob.model_validate((yield call))


def start(job_id: int, *, wait: bool = False, on_progress: ProgressCallback | None = None,
          timeout: float | None = None) -> Operation[JobStarted]:
    """Start a pending crawl: a task per keyword and engine. With `wait`, answer once the
    crawl has ended (JobFailed if it failed)."""
    started = yield from jobs.start(job_id)
    if wait:
        yield from jobs.wait(job_id, on_progress=on_progress, timeout=timeout)
    return started


def images(job_id: int, *, verdict: str | None = None, keyword: str | None = None,
           engine: str | None = None, limit: int = 100, offset: int = 0
           ) -> Operation[CrawlImages]:
    """The images a crawl kept, with their validation verdicts and reasons."""
    call = get(f"/api/v1/jobs/{job_id}/images", verdict=verdict, keyword=keyword,
               engine=engine, limit=limit, offset=offset)
    return CrawlImages.model_validate((yield call))


def validate(job_id: int, *, level: Literal["fast", "medium", "slow"] = "medium",
             wait: bool = True, on_progress: ProgressCallback | None = None,
             timeout: float | None = None,
             idempotency_key: str | None = None) -> Operation[ValidationStarted]:
    """Validate every image of a crawl job; with `wait`, answer once the run (the job
    `validation_job_id`) has ended. The verdicts: `images(job_id, verdict=...)`. The same
    `idempotency_key` again is the same run."""
    call = create(f"/api/v1/validation/job/{job_id}/", json={"level": level},
                  key_honoured=True, idempotency_key=idempotency_key)
    started = ValidationStarted.model_validate((yield call))
    if wait:
        yield from jobs.wait(started.validation_job_id, on_progress=on_progress,
                             timeout=timeout)
    return started
