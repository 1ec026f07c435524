"""How a job of each kind is cut into chunks when it starts."""

from dataclasses import asdict, dataclass
from typing import Any

from services.jobs.pdf_chunking import PageCountError, plan_chunks
from shared.celery_app import TaskName
from shared.crawl.params import CrawlRequest, chunk_quotas
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.models import Job, JobKind
from shared.settings import get_settings


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


def plan_pdf(job: Job) -> WorkPlan:
    plan = plan_chunks(job.page_count or 0)
    return WorkPlan(
        chunk_specs=[asdict(chunk) for chunk in plan.chunks],
        units_per_chunk=[chunk.last_page - chunk.first_page + 1 for chunk in plan.chunks],
        parallelism=plan.parallelism, chunk_task=TaskName.PDF_PROCESS_CHUNK)


def plan_receipt(_job: Job) -> WorkPlan:
    """One receipt, one chunk: its steps report progress on the job itself."""
    return WorkPlan(chunk_specs=[{}], units_per_chunk=[1], parallelism=1,
                    chunk_task=TaskName.OCR_PROCESS_RECEIPT)


def plan_pages(job: Job) -> WorkPlan:
    """One chunk per page (seed 003): a failing page fails alone, and several workers
    share a batch. The gateway put the pages, already checked, in the job's params."""
    pages = job.params.get("pages") or []
    if not pages:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the job names no pages to process")
    return WorkPlan(chunk_specs=[dict(page) for page in pages], units_per_chunk=[1] * len(pages),
                    parallelism=min(len(pages), get_settings().page_batch_parallelism),
                    chunk_task=TaskName.OCR_PROCESS_PAGE)


def plan_color_transfer(_job: Job) -> WorkPlan:
    """One image, one chunk: its milestones report progress on the job itself."""
    return WorkPlan(chunk_specs=[{}], units_per_chunk=[1], parallelism=1,
                    chunk_task=TaskName.COLOR_TRANSFER)


def plan_crawl(job: Job) -> WorkPlan:
    """One chunk per keyword x engine (seed 004), all queued at once; `max_images` shared
    out as quotas, so the job never keeps more than it reserved credits for."""
    request = CrawlRequest.model_validate(job.params)
    pairs = [(keyword, engine) for keyword in request.keywords for engine in request.engines]
    quotas = chunk_quotas(request.max_images, len(pairs))
    return WorkPlan(
        chunk_specs=[{"keyword": keyword, "engine": engine.value, "max_images": quota}
                     for (keyword, engine), quota in zip(pairs, quotas, strict=True)],
        units_per_chunk=quotas, parallelism=len(pairs), chunk_task=TaskName.CRAWL_CHUNK)


PLANNERS = {JobKind.PDF: plan_pdf, JobKind.RECEIPT: plan_receipt,
            JobKind.PAGE_OCR: plan_pages, JobKind.PAGE_BATCH: plan_pages,
            JobKind.COLOR_TRANSFER: plan_color_transfer, JobKind.CRAWL: plan_crawl}


def plan_work(job: Job) -> WorkPlan:
    planner = PLANNERS.get(job.kind)
    if planner is None:
        raise ConveyorError(ErrorCode.INVALID_STATE,
                            f"jobs of kind '{job.kind}' cannot be started yet")
    return planner(job)
