"""Projects and pages (seed 003): intake of scans and PDFs, page-OCR tasks, results."""

from typing import Any

from fastapi import UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from services.gateway.idempotency import request_fingerprint
from services.gateway.jobs_client import JobsClient
from services.gateway.pages.schemas import (
    BatchQueued,
    PageList,
    PageOut,
    PageQueued,
    ProjectOut,
    TaskCancelled,
    TaskStatus,
)
from services.gateway.pdf.inspection import PDF_MAGIC, check_pdf_bytes, count_pages
from services.gateway.settings import GatewaySettings
from services.gateway.uploads import image_suffix, publish, store_upload
from shared import storage
from shared.db import in_transaction_thread
from shared.errors import ConveyorError, ErrorCode
from shared.image_decode import check_decodes
from shared.images import inspect_image
from shared.jobs.contract import CreateJob, JobView
from shared.jobs.models import PAGE_KINDS, JobKind
from shared.jobs.states import TERMINAL, Vocabulary, public_status
from shared.pages import repository as repo
from shared.pages.models import Page, Project
from shared.pages.params import PageReadItem, PageSpec, PageTaskParams

MAX_PDF_PAGES = 500
PAGES_AREA = "pages"  # kept as long as the project: not swept like job uploads


# --- projects and pages -------------------------------------------------------------------

def owned_project(session: Session, *, project_id: int, user_id: int) -> Project:
    project = repo.owned_project(session, project_id=project_id, user_id=user_id)
    if project is None:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Project not found")
    return project


def create_project(session: Session, *, user_id: int, name: str,
                   description: str | None) -> ProjectOut:
    project = repo.create_project(session, user_id=user_id, name=name, description=description)
    return project_out(session, project)


def project_of(session: Session, *, project_id: int, user_id: int) -> ProjectOut:
    return project_out(session, owned_project(session, project_id=project_id, user_id=user_id))


def project_out(session: Session, project: Project) -> ProjectOut:
    counts = repo.status_counts(session, project_id=project.id)
    return ProjectOut(id=project.id, name=project.name, description=project.description,
                      created_at=project.created_at, page_count=sum(counts.values()),
                      pages_by_status=counts)


def page_out(page: Page) -> PageOut:
    return PageOut(id=page.id, project_id=page.project_id, page_number=page.page_number,
                   original_filename=page.original_filename,
                   source="image" if page.pdf_page_index is None else "pdf",
                   width=page.width, height=page.height, ocr_status=page.ocr_status,
                   ocr_confidence=page.ocr_confidence, word_count=page.word_count,
                   ocr_error=page.ocr_error, ocr_error_type=page.ocr_error_type,
                   task_id=page.last_task_id, ocr_finished_at=page.ocr_finished_at,
                   created_at=page.created_at)


def list_pages(session: Session, *, user_id: int, project_id: int,
               status: str | None) -> PageList:
    owned_project(session, project_id=project_id, user_id=user_id)
    pages = repo.pages_of(session, project_id=project_id, status=status)
    return PageList(project_id=project_id, total=len(pages), pages=[page_out(p) for p in pages])


def owned_page(session: Session, *, user_id: int, project_id: int, page_id: int) -> Page:
    owned_project(session, project_id=project_id, user_id=user_id)
    pages = repo.pages_of(session, project_id=project_id, page_ids=[page_id])
    if not pages:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Page not found")
    return pages[0]


def read_page(session: Session, *, user_id: int, project_id: int, page_id: int) -> Page:
    """The page, if it has a result to serve (INVALID_STATE otherwise)."""
    page = owned_page(session, user_id=user_id, project_id=project_id, page_id=page_id)
    if not page.has_result:
        raise ConveyorError(ErrorCode.INVALID_STATE, f"page {page_id} has no OCR result "
                            f"(status {page.ocr_status}); process it first")
    return page


async def upload_pages(*, user_id: int, project_id: int, upload: UploadFile, page_number: int,
                       settings: GatewaySettings) -> PageList:
    """An image is one page; a PDF becomes one page per PDF page, numbered on from
    `page_number` (rendered by the OCR worker, not here)."""
    await in_transaction_thread(owned_project, project_id=project_id, user_id=user_id)
    stored = await store_upload(upload, max_bytes=settings.max_pdf_bytes, area=PAGES_AREA)
    try:
        stored, layout = await run_in_threadpool(_inspect_upload, stored,
                                                 settings.max_image_pixels)
        await publish(stored)
        return await in_transaction_thread(
            _insert_pages, user_id=user_id, project_id=project_id, first_number=page_number,
            stored=stored, layout=layout, filename=(upload.filename or "")[:255] or None)
    except BaseException:
        storage.discard(stored.relative_path)
        raise


def _inspect_upload(stored: storage.StoredFile, max_pixels: int
                    ) -> tuple[storage.StoredFile, list[tuple[int | None, int | None, int | None]]]:
    """(pdf page index, width, height) per page the upload holds. An image is decoded
    whole, so a truncated or corrupt scan is refused now, not failed by its page task."""
    if PDF_MAGIC in stored.head[:1024]:
        check_pdf_bytes(stored)
        pages = count_pages(stored.path)
        if pages > MAX_PDF_PAGES:
            raise ConveyorError(ErrorCode.TOO_MANY_PAGES, f"the PDF has {pages} pages; "
                                f"upload at most {MAX_PDF_PAGES} at a time")
        return storage.with_suffix(stored, ".pdf"), [(index, None, None) for index in range(pages)]
    info = inspect_image(stored.path, max_pixels=max_pixels)
    check_decodes(stored.path, max_pixels=max_pixels)
    return storage.with_suffix(stored, image_suffix(info)), [(None, info.width, info.height)]


def _insert_pages(session: Session, *, user_id: int, project_id: int, first_number: int,
                  stored: storage.StoredFile,
                  layout: list[tuple[int | None, int | None, int | None]],
                  filename: str | None) -> PageList:
    owned_project(session, project_id=project_id, user_id=user_id)
    numbers = [first_number + offset for offset in range(len(layout))]
    taken = repo.taken_page_numbers(session, project_id=project_id, numbers=numbers)
    if taken:
        raise ConveyorError(ErrorCode.CONFLICT, f"page number(s) {sorted(taken)} already "
                            "exist in this project; choose another page_number")
    pages = repo.add_pages(session, [
        Page(project_id=project_id, page_number=number, original_filename=filename,
             source_path=stored.relative_path, pdf_page_index=index, width=width,
             height=height) for number, (index, width, height) in zip(numbers, layout,
                                                                      strict=True)])
    return PageList(project_id=project_id, total=len(pages), pages=[page_out(p) for p in pages])


# --- page tasks ---------------------------------------------------------------------------

def _task_pages(session: Session, *, user_id: int, project_id: int, page_ids: list[int]
                ) -> list[PageSpec]:
    owned_project(session, project_id=project_id, user_id=user_id)
    found = {p.id: p for p in repo.pages_of(session, project_id=project_id, page_ids=page_ids)}
    missing = [page_id for page_id in page_ids if page_id not in found]
    if missing:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"page(s) {missing} not found in project "
                            f"{project_id}")
    return [PageSpec(page_id=p.id, page_number=p.page_number, source_path=p.source_path,
                     pdf_page_index=p.pdf_page_index) for p in (found[i] for i in page_ids)]


async def queue_pages(jobs: JobsClient, *, user_id: int, project_id: int,
                      page_ids: list[int], kind: JobKind, idempotency_key: str | None = None,
                      webhook_endpoint_id: int | None = None) -> JobView:
    """Create and start the job, reserving a credit per page; the job service shows the
    pages queued in the same transaction, after answering a repeated `idempotency_key`
    with its first job (so a replay queues nothing again). `webhook_endpoint_id`: the
    endpoint of the request's callback_url, if any."""
    unique_ids = list(dict.fromkeys(page_ids))
    specs = await in_transaction_thread(_task_pages, user_id=user_id, project_id=project_id,
                                        page_ids=unique_ids)
    params = PageTaskParams(project_id=project_id, pages=specs)
    fingerprint = request_fingerprint(kind, project_id=project_id, page_ids=unique_ids,
                                      webhook_endpoint_id=webhook_endpoint_id)
    return await jobs.create(CreateJob(user_id=user_id, kind=kind, units=len(specs),
                                       start=True, params=params.model_dump(mode="json"),
                                       idempotency_key=idempotency_key,
                                       request_fingerprint=fingerprint,
                                       webhook_endpoint_id=webhook_endpoint_id))


def page_queued(view: JobView, *, callback_secret: str | None = None) -> PageQueued:
    page = view.params_as(PageTaskParams).pages[0]
    return PageQueued(task_id=view.uuid, status=_word(view), page_id=page.page_id,
                      page_number=page.page_number, callback_secret=callback_secret)


def batch_queued(view: JobView, *, callback_secret: str | None = None) -> BatchQueued:
    ids = [page.page_id for page in view.params_as(PageTaskParams).pages]
    return BatchQueued(task_id=view.uuid, status=_word(view), total_pages=len(ids),
                       page_ids=ids, callback_secret=callback_secret)


async def page_task(jobs: JobsClient, *, user_id: int, task_id: str,
                    with_result: bool = False) -> JobView:
    view = await jobs.get_by_uuid(user_id, task_id, with_result=with_result)
    if view.kind not in PAGE_KINDS:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Task not found")
    return view


async def task_status(jobs: JobsClient, *, user_id: int, task_id: str) -> TaskStatus:
    view = await page_task(jobs, user_id=user_id, task_id=task_id, with_result=True)
    chunks = view.chunks
    status = TaskStatus(task_id=view.uuid, status=_word(view), total=chunks.total,
                        current=chunks.completed + chunks.failed)
    if view.status not in TERMINAL:
        return status
    status.result = _batch_result(view, view.result_items or [])
    status.error, status.error_type = view.error, view.error_type
    if view.partial:
        status.partial = True
        status.message = (f"{chunks.failed} of {chunks.total} pages failed; their errors "
                          "are in result.results")
    return status


def _batch_result(view: JobView, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Seed 003's {total, completed, failed, results}, one entry per page in task order."""
    done = {PageReadItem.model_validate(item).page_id: item for item in items}
    failed = {page_id: chunk for chunk in view.failed_chunks
              if (page_id := chunk.spec_value("page_id")) is not None}
    results = []
    for page in view.params_as(PageTaskParams).pages:
        page_id, number = page.page_id, page.page_number
        if page_id in done:
            results.append(done[page_id])
        elif page_id in failed:
            results.append({"page_id": page_id, "page_number": number, "status": "failed",
                            "error": failed[page_id].error,
                            "error_type": failed[page_id].error_type})
        else:
            results.append({"page_id": page_id, "page_number": number, "status": "cancelled"})
    return {"total": len(results), "completed": len(done), "failed": len(failed),
            "results": results}


async def cancel_task(jobs: JobsClient, *, user_id: int, task_id: str) -> TaskCancelled:
    view = await page_task(jobs, user_id=user_id, task_id=task_id)
    cancelled = await jobs.cancel(user_id, view.id)  # its unread pages end with it
    return TaskCancelled(task_id=view.uuid, status=_word(cancelled.job),
                         revoked_tasks=cancelled.revoked_tasks)


def _word(view: JobView) -> str:
    return public_status(view.status, Vocabulary.V1_PAGES)
