"""A page-OCR task's parameters: written by the gateway when it queues the pages, read by
the job service's planner (a chunk per page) and by the gateway's task documents."""

from pydantic import BaseModel


class PageSpec(BaseModel):
    page_id: int
    page_number: int
    source_path: str
    pdf_page_index: int | None = None


class PageTaskParams(BaseModel):
    project_id: int
    pages: list[PageSpec]
