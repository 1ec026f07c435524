"""Projects of scanned pages and their OCR (seed 003)."""

from collections.abc import Sequence
from typing import Literal

from conveyor_client.models import (
    BatchQueued,
    PageList,
    PageQueued,
    PageResult,
    PageTask,
    PageTaskCancelled,
    Project,
)
from conveyor_client.operations._common import (
    FileInput,
    load_upload,
    poll_until_ended,
    raise_if_failed,
)
from conveyor_client.progress import of_page_task
from conveyor_client.steps import Call, Operation, ProgressCallback, create, get

PROJECTS = "/api/v1/projects"
TASKS = "/api/v1/tasks"


def create_project(name: str, *, description: str | None = None) -> Operation[Project]:
    """A project: a named set of numbered pages."""
    body = {"name": name, "description": description}
    return Project.model_validate((yield create(PROJECTS, json=body)))


def get_project(project_id: int) -> Operation[Project]:
    """The project with its page count per OCR status."""
    return Project.model_validate((yield get(f"{PROJECTS}/{project_id}")))


def upload(project_id: int, file: FileInput, *, page_number: int,
           filename: str | None = None) -> Operation[PageList]:
    """Add a page image, or a PDF (one page per PDF page, numbered on from
    `page_number`); the pages added."""
    content = load_upload(file, filename=filename, default_name="page.png")
    call = create(f"{PROJECTS}/{project_id}/pages", form={"page_number": str(page_number)},
                  files={"file": content})
    return PageList.model_validate((yield call))


def pages(project_id: int, *, status: str | None = None) -> Operation[PageList]:
    """The project's pages in page order with their OCR status."""
    return PageList.model_validate((yield get(f"{PROJECTS}/{project_id}/pages",
                                              status=status)))


def process_page(project_id: int, page_id: int, *, wait: bool = True,
                 on_progress: ProgressCallback | None = None, timeout: float | None = None,
                 idempotency_key: str | None = None) -> Operation[PageTask]:
    """OCR one page (a credit); with `wait`, until it has been read. The same
    `idempotency_key` again is the same task."""
    call = create(f"{TASKS}/projects/{project_id}/process-page/{page_id}",
                  key_honoured=True, idempotency_key=idempotency_key)
    queued = PageQueued.model_validate((yield call))
    return (yield from _followed(queued.task_id, wait=wait, on_progress=on_progress,
                                 timeout=timeout))


def process_batch(project_id: int, page_ids: Sequence[int], *, wait: bool = True,
                  on_progress: ProgressCallback | None = None, timeout: float | None = None,
                  idempotency_key: str | None = None) -> Operation[PageTask]:
    """OCR several pages as one task (a credit a page; a bad page fails alone); with
    `wait`, until every page has been read. A task with failed pages completes `partial`;
    JobFailed only when the task as a whole failed or was cancelled. The same
    `idempotency_key` again is the same task."""
    call = create(f"{TASKS}/projects/{project_id}/process-batch",
                  json={"page_ids": list(page_ids)}, key_honoured=True,
                  idempotency_key=idempotency_key)
    queued = BatchQueued.model_validate((yield call))
    return (yield from _followed(queued.task_id, wait=wait, on_progress=on_progress,
                                 timeout=timeout))


def task(task_id: str) -> Operation[PageTask]:
    """A page task's status: `current` of `total` pages, then its results."""
    return PageTask.model_validate((yield _task_call(task_id)))


def wait_for_task(task_id: str, *, on_progress: ProgressCallback | None = None,
                  timeout: float | None = None) -> Operation[PageTask]:
    """Poll a page task until it has ended."""
    ended = yield from poll_until_ended(
        lambda: _task_call(task_id), parse=PageTask.model_validate, snapshot=of_page_task,
        on_progress=on_progress, timeout=timeout, work_id=task_id)
    raise_if_failed(ended, succeeded=ended.status == "completed", what=f"page task {task_id}")
    return ended


def cancel_task(task_id: str) -> Operation[PageTaskCancelled]:
    """Cancel a page task: the pages read keep their results and are charged."""
    call = Call(method="POST", path=f"{TASKS}/cancel/{task_id}")
    return PageTaskCancelled.model_validate((yield call))


def result(project_id: int, page_id: int) -> Operation[PageResult]:
    """The page's OCR: text, mean confidence and words with their boxes."""
    call = get(f"{PROJECTS}/{project_id}/pages/{page_id}/result", format="json")
    return PageResult.model_validate((yield call))


def result_text(project_id: int, page_id: int, *,
                format: Literal["txt", "hocr"] = "txt") -> Operation[str]:
    """The page's OCR as plain text, or as hOCR."""
    call = Call(method="GET", path=f"{PROJECTS}/{project_id}/pages/{page_id}/result",
                params={"format": format}, read="text")
    return str((yield call))


def _followed(task_id: str, *, wait: bool, on_progress: ProgressCallback | None,
              timeout: float | None) -> Operation[PageTask]:
    if wait:
        return (yield from wait_for_task(task_id, on_progress=on_progress, timeout=timeout))
    return (yield from task(task_id))


def _task_call(task_id: str) -> Call:
    return Call(method="GET", path=f"{TASKS}/status/{task_id}")
