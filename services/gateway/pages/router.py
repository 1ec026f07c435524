"""Projects of scanned pages and their OCR (seed 003)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from services.gateway.deps import JobsDep, PageId, ProjectId, SettingsDep, UserIdDep
from services.gateway.idempotency import IdempotencyKey
from services.gateway.openapi import AUTHENTICATED, errors, links, upload_example
from services.gateway.pages import service
from services.gateway.pages.schemas import (
    PAGE_TASK_REQUEST_EXAMPLES,
    BatchIn,
    BatchQueued,
    PageImageSize,
    PageList,
    PageOut,
    PageQueued,
    PageResult,
    PageTaskIn,
    ProjectIn,
    ProjectOut,
    TaskCancelled,
    TaskStatus,
)
from services.gateway.ratelimit import limited
from services.gateway.webhooks.service import callback_for
from shared.db import in_transaction_thread
from shared.jobs.models import JobKind
from shared.pages.models import PageStatus

router = APIRouter(prefix="/api/v1/projects", tags=["pages"],
                   responses=errors(*AUTHENTICATED))
tasks_router = APIRouter(prefix="/api/v1/tasks", tags=["pages"],
                         responses=errors(*AUTHENTICATED))
TaskId = Annotated[str, Path(description="the task_id that process-page or process-batch "
                                        "answered",
                             examples=["0b8e5c1a-2f3d-4e5f-9a6b-7c8d9e0f1a2b"])]


@router.post("", status_code=201, responses=links(201, "id", "project_id", {
    "GetProject": ("get", "/api/v1/projects/{project_id}"),
    "ListPages": ("get", "/api/v1/projects/{project_id}/pages")}))
async def create_project(body: ProjectIn, user_id: UserIdDep) -> ProjectOut:
    """A project: a named set of numbered pages."""
    return await in_transaction_thread(service.create_project, user_id=user_id,
                                       name=body.name, description=body.description)


@router.get("/{project_id}", responses=errors(404))
async def get_project(project_id: ProjectId, user_id: UserIdDep) -> ProjectOut:
    """The project with its page count per OCR status."""
    return await in_transaction_thread(service.project_of, project_id=project_id,
                                       user_id=user_id)


@router.post("/{project_id}/pages", status_code=201, responses=errors(400, 404, 409, 413),
             openapi_extra=upload_example(file="page28.jpg", page_number=28))
async def upload_pages(project_id: ProjectId, user_id: UserIdDep, settings: SettingsDep,
                       file: Annotated[UploadFile, File()],
                       page_number: Annotated[int, Form(ge=1, le=100_000)]) -> PageList:
    """Add a page (JPEG, PNG, WebP, TIFF) or a PDF (one page per PDF page, numbered on
    from `page_number`); 409 when a page number is taken."""
    return await service.upload_pages(user_id=user_id, project_id=project_id, upload=file,
                                      page_number=page_number, settings=settings)


@router.get("/{project_id}/pages", responses=errors(404))
async def list_pages(project_id: ProjectId, user_id: UserIdDep,
                     status: Annotated[PageStatus | None, Query(examples=["completed"])] = None
                     ) -> PageList:
    """The project's pages in page order with their OCR status; filter by `status`."""
    return await in_transaction_thread(service.list_pages, user_id=user_id,
                                       project_id=project_id,
                                       status=status.value if status else None)


@router.get("/{project_id}/pages/{page_id}", responses=errors(404))
async def get_page(project_id: ProjectId, page_id: PageId, user_id: UserIdDep) -> PageOut:
    """One page and its OCR status."""
    page = await in_transaction_thread(service.owned_page, user_id=user_id,
                                       project_id=project_id, page_id=page_id)
    return service.page_out(page)


@router.get("/{project_id}/pages/{page_id}/result", response_model=PageResult, responses={
    200: {"content": {"text/plain": {"schema": {"type": "string"},
                                     "example": "Annual report\nRevenue grew by 12%."},
                      "text/html": {"schema": {"type": "string"},
                                    "example": "<div class='ocr_page'>...</div>"}},
          "description": "`json`: the model; `txt`: the text; `hocr`: hOCR (text/html)."},
    **errors(400, 404)})
async def page_result(project_id: ProjectId, page_id: PageId, user_id: UserIdDep,
                      format: Annotated[Literal["json", "txt", "hocr"],
                                        Query(examples=["txt"])] = "json") -> Response:
    """The page's OCR: `json` (text, mean confidence, words with boxes), `txt`, `hocr`.
    The latest successful read: a later task that is cancelled or fails leaves it."""
    page = await in_transaction_thread(service.read_page, user_id=user_id,
                                       project_id=project_id, page_id=page_id)
    stem = f"project{project_id}-page{page.page_number}"
    if format == "txt":
        return PlainTextResponse(page.ocr_text, headers=_attachment(f"{stem}.txt"))
    if format == "hocr":
        return Response(page.ocr_hocr or "", media_type="text/html; charset=utf-8",
                        headers=_attachment(f"{stem}.hocr"))
    body = PageResult(page_id=page.id, page_number=page.page_number, text=page.ocr_text,
                      mean_confidence=page.ocr_confidence, word_count=page.word_count,
                      image_size=PageImageSize(width=page.ocr_width, height=page.ocr_height),
                      turned_degrees=page.ocr_turned_degrees, words=page.ocr_words or [])
    return JSONResponse(body.model_dump(mode="json"), headers=_attachment(f"{stem}.json"))


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


# 400 also for a callback_url the address policy refuses.
@tasks_router.post("/projects/{project_id}/process-page/{page_id}", status_code=202,
                   response_model_exclude_none=True,
                   responses=errors(400, 402, 404, 409, 429))
@limited("rate_limit_page_tasks")
async def process_page(request: Request, project_id: ProjectId, page_id: PageId,
                       user_id: UserIdDep, jobs: JobsDep,
                       body: Annotated[PageTaskIn | None, Body(
                           openapi_examples=PAGE_TASK_REQUEST_EXAMPLES)] = None,
                       idempotency_key: IdempotencyKey = None) -> PageQueued:
    """OCR one page in the background (a credit per page); follow GET /tasks/status/{id}.
    The body is optional: `{"callback_url": ...}` has the task's events sent there, signed,
    with `callback_secret` in the answer (see /api/v1/webhooks). The same
    `Idempotency-Key` again answers with the same task (409 with another request)."""
    endpoint_id, secret = await callback_for(user_id, body.callback_url if body else None)
    view = await service.queue_pages(jobs, user_id=user_id, project_id=project_id,
                                     page_ids=[page_id], kind=JobKind.PAGE_OCR,
                                     idempotency_key=idempotency_key,
                                     webhook_endpoint_id=endpoint_id)
    return service.page_queued(view, callback_secret=secret)


@tasks_router.post("/projects/{project_id}/process-batch", status_code=202,
                   response_model_exclude_none=True,
                   responses=errors(400, 402, 404, 409, 429))
@limited("rate_limit_page_tasks")
async def process_batch(request: Request, project_id: ProjectId, body: BatchIn,
                        user_id: UserIdDep, jobs: JobsDep,
                        idempotency_key: IdempotencyKey = None) -> BatchQueued:
    """OCR several pages; each page is its own unit of work, so one bad page fails alone.
    `callback_url`: the task's events are sent there, signed (see /api/v1/webhooks). The
    same `Idempotency-Key` again answers with the same task (409 with other pages)."""
    endpoint_id, secret = await callback_for(user_id, body.callback_url)
    view = await service.queue_pages(jobs, user_id=user_id, project_id=project_id,
                                     page_ids=body.page_ids, kind=JobKind.PAGE_BATCH,
                                     idempotency_key=idempotency_key,
                                     webhook_endpoint_id=endpoint_id)
    return service.batch_queued(view, callback_secret=secret)


@tasks_router.get("/status/{task_id}", response_model_exclude_none=True,
                  responses=errors(404))
async def task_status(task_id: TaskId, user_id: UserIdDep, jobs: JobsDep) -> TaskStatus:
    """`current`/`total` pages while processing; `{total, completed, failed, results}` at
    the end."""
    return await service.task_status(jobs, user_id=user_id, task_id=task_id)


@tasks_router.post("/cancel/{task_id}", responses=errors(400, 404))
async def cancel_task(task_id: TaskId, user_id: UserIdDep, jobs: JobsDep) -> TaskCancelled:
    """Cancel a page task that has not finished: the pages it read keep their results and
    are charged, the rest of its reservation is released."""
    return await service.cancel_task(jobs, user_id=user_id, task_id=task_id)
