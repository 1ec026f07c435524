"""How a job of each kind is cut into chunks when it starts."""

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.jobs.pdf_chunking import PageCountError, plan_chunks
from shared.celery_app import TaskName
from shared.crawl import repository as crawl_repo
from shared.crawl.params import (
    CrawlRequest,
    Engine,
    ValidationLevel,
    ValidationParams,
    chunk_quotas,
)
from shared.errors import ConveyorError, ErrorCode
from shared.jobs import repository as jobs_repo
from shared.jobs.models import Job, JobKind
from shared.jobs.states import ACTIVE
from shared.pages.params import PageTaskParams
from shared.settings import get_settings

ENGINE_TASKS = {Engine.WEB: TaskName.CRAWL_CHUNK_WEB, Engine.BING: TaskName.CRAWL_CHUNK_BING,
                Engine.GOOGLE: TaskName.CRAWL_CHUNK_GOOGLE}
LEVEL_TASKS = {ValidationLevel.FAST: TaskName.CRAWL_VALIDATE_FAST,
               ValidationLevel.MEDIUM: TaskName.CRAWL_VALIDATE_MEDIUM,
               ValidationLevel.SLOW: TaskName.CRAWL_VALIDATE_SLOW}


@dataclass(frozen=True, kw_only=True)
class WorkPlan:
    chunk_specs: list[dict[str, Any]]
    units_per_chunk: list[int]
    parallelism: int
    chunk_task: TaskName


def validate_units(kind: JobKind, units: int) -> None:
    """Refuse at creation what could never be planned."""
    if kind is JobKind.PDF:
        try:
            plan_chunks(units)
        except PageCountError as exc:
            raise ConveyorError(ErrorCode.TOO_MANY_PAGES if units > 0 else ErrorCode.INPUT_INVALID,
                                str(exc)) from exc


def plan_pdf(_session: Session, job: Job) -> WorkPlan:
    plan = plan_chunks(job.page_count or 0)
    return WorkPlan(
        chunk_specs=[asdict(chunk) for chunk in plan.chunks],
        units_per_chunk=[chunk.last_page - chunk.first_page + 1 for chunk in plan.chunks],
        parallelism=plan.parallelism, chunk_task=TaskName.PDF_PROCESS_CHUNK)


def plan_receipt(_session: Session, _job: Job) -> WorkPlan:
    """One receipt, one chunk: its steps report progress on the job itself."""
    return WorkPlan(chunk_specs=[{}], units_per_chunk=[1], parallelism=1,
                    chunk_task=TaskName.OCR_PROCESS_RECEIPT)


def plan_pages(_session: Session, job: Job) -> WorkPlan:
    """One chunk per page (seed 003): a failing page fails alone, and several workers
    share a batch. The gateway put the pages, already checked, in the job's params."""
    pages = PageTaskParams.model_validate(job.params).pages
    if not pages:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the job names no pages to process")
    return WorkPlan(chunk_specs=[page.model_dump() for page in pages],
                    units_per_chunk=[1] * len(pages),
                    parallelism=min(len(pages), get_settings().page_batch_parallelism),
                    chunk_task=TaskName.OCR_PROCESS_PAGE)


def plan_color_transfer(_session: Session, _job: Job) -> WorkPlan:
    """One image, one chunk: its milestones report progress on the job itself."""
    return WorkPlan(chunk_specs=[{}], units_per_chunk=[1], parallelism=1,
                    chunk_task=TaskName.COLOR_TRANSFER)


def plan_crawl(_session: Session, job: Job) -> WorkPlan:
    """One chunk per keyword x engine (seed 004), all queued at once; `max_images` shared
    out as quotas, so the job never keeps more than it reserved credits for. Each engine's
    chunks run as that engine's task, which carries its rate limit; its first task id is a
    uuid4, as seed 004 gives the download tasks' ids."""
    request = CrawlRequest.model_validate(job.params)
    pairs = [(keyword, engine) for keyword in request.keywords for engine in request.engines]
    quotas = chunk_quotas(request.max_images, len(pairs))
    return WorkPlan(
        chunk_specs=[{"keyword": keyword, "engine": engine.value, "max_images": quota,
                      "task_name": ENGINE_TASKS[engine].value, "task_id": str(uuid.uuid4())}
                     for (keyword, engine), quota in zip(pairs, quotas, strict=True)],
        units_per_chunk=quotas, parallelism=len(pairs),
        chunk_task=ENGINE_TASKS[request.engines[0]])


def plan_validation(session: Session, job: Job) -> WorkPlan:
    """Batches of the crawl job's images (API.md: validation batches), all queued at once.

    Task ids follow seed 004 (`task_<crawl job id>_<n>`), numbered on from the crawl job's
    earlier validation runs so every id stays unique. The crawl job's row lock serialises
    two runs being planned at once; a run while another is unfinished is refused.
    """
    params = ValidationParams.model_validate(job.params)
    crawl_job_id = params.crawl_job_id
    crawl_job = jobs_repo.get_job(session, crawl_job_id, for_update=True)
    if crawl_job is None or crawl_job.user_id != job.user_id:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Job not found")
    image_ids = crawl_repo.image_ids_of_job(session, crawl_job_id)
    if not image_ids:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"No images found for job {crawl_job_id}")
    earlier = [run for run in jobs_repo.validation_runs_of(
        session, user_id=job.user_id, crawl_job_id=crawl_job_id) if run.id != job.id]
    if any(run.status in ACTIVE for run in earlier):
        raise ConveyorError(ErrorCode.CONFLICT, f"job {crawl_job_id} is being validated "
                            "already; wait for that run to finish")
    numbered_before = sum(run.total_chunks for run in earlier)
    size = get_settings().validation_batch_size
    batches = [image_ids[i:i + size] for i in range(0, len(image_ids), size)]
    return WorkPlan(
        chunk_specs=[{"image_ids": batch, "task_id": f"task_{crawl_job_id}_{numbered_before + n}"}
                     for n, batch in enumerate(batches)],
        units_per_chunk=[len(batch) for batch in batches], parallelism=len(batches),
        chunk_task=LEVEL_TASKS[params.level])


PLANNERS = {JobKind.PDF: plan_pdf, JobKind.RECEIPT: plan_receipt,
            JobKind.PAGE_OCR: plan_pages, JobKind.PAGE_BATCH: plan_pages,
            JobKind.COLOR_TRANSFER: plan_color_transfer, JobKind.CRAWL: plan_crawl,
            JobKind.VALIDATION: plan_validation}


def plan_work(session: Session, job: Job) -> WorkPlan:
    planner = PLANNERS.get(job.kind)
    if planner is None:
        raise ConveyorError(ErrorCode.INVALID_STATE,
                            f"jobs of kind '{job.kind}' cannot be started yet")
    return planner(session, job)
