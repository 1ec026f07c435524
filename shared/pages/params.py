"""A page-OCR task's parameters, written by the gateway when it queues the pages and read
by the job service's planner (a chunk per page); and what the worker gives back for each
page it read, which the gateway's task documents list."""

from pydantic import BaseModel


class PageSpec(BaseModel):
    page_id: int
    page_number: int
    source_path: str
    pdf_page_index: int | None = None


class PageTaskParams(BaseModel):
    project_id: int
    pages: list[PageSpec]


class PageReadItem(BaseModel):
    """One page read by a task: its result item, as the task's status lists it."""

    page_id: int
    page_number: int
    status: str = "completed"
    text: str
    mean_confidence: float
    word_count: int
    turned_degrees: int
