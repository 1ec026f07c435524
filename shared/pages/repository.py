"""All SQL on projects and pages."""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.pages.models import Page, PageStatus, Project


def create_project(session: Session, *, user_id: int, name: str,
                   description: str | None) -> Project:
    project = Project(user_id=user_id, name=name, description=description)
    session.add(project)
    session.flush()
    return project


def owned_project(session: Session, *, project_id: int, user_id: int) -> Project | None:
    project = session.get(Project, project_id)
    return project if project is not None and project.user_id == user_id else None


def add_pages(session: Session, pages: list[Page]) -> list[Page]:
    session.add_all(pages)
    session.flush()
    return pages


def taken_page_numbers(session: Session, *, project_id: int, numbers: Sequence[int]
                       ) -> list[int]:
    return list(session.scalars(select(Page.page_number).where(
        Page.project_id == project_id, Page.page_number.in_(numbers))))


def pages_of(session: Session, *, project_id: int, page_ids: Sequence[int] | None = None,
             status: str | None = None) -> list[Page]:
    query = select(Page).where(Page.project_id == project_id).order_by(Page.page_number)
    if page_ids is not None:
        query = query.where(Page.id.in_(page_ids))
    if status is not None:
        query = query.where(Page.ocr_status == status)
    return list(session.scalars(query))


def status_counts(session: Session, *, project_id: int) -> dict[str, int]:
    rows = session.execute(select(Page.ocr_status, func.count()).where(
        Page.project_id == project_id).group_by(Page.ocr_status))
    return {status: count for status, count in rows.tuples()}


def assign_to_job(session: Session, *, page_ids: Sequence[int], job_id: int,
                  task_id: str) -> None:
    """Show the pages as queued for a new job: in the job service, in the transaction that
    creates the job, so no worker can have taken them yet."""
    _update(session, update(Page).where(
        Page.id.in_(page_ids), or_(Page.last_job_id.is_(None), Page.last_job_id < job_id))
        .values(ocr_status=PageStatus.QUEUED.value, last_job_id=job_id, last_task_id=task_id))


def end_job(session: Session, *, job_id: int, cancelled: bool) -> None:
    """The pages an ended job did not get to, in the transaction that ended it. Cancelled:
    back to `completed` when an earlier job read them (that result stands), `cancelled`
    otherwise. Failed (the reaper, a lost worker): `failed`, saying so."""
    unread = update(Page).where(
        Page.last_job_id == job_id,
        Page.ocr_status.in_([PageStatus.QUEUED.value, PageStatus.PROCESSING.value]))
    if cancelled:
        _update(session, unread.values(ocr_status=case(
            (Page.has_result, PageStatus.COMPLETED.value), else_=PageStatus.CANCELLED.value)))
    else:
        _update(session, unread.values(
            ocr_status=PageStatus.FAILED.value, ocr_error_type="PROCESSING_FAILED",
            ocr_error="the task ended before this page was read", ocr_finished_at=utcnow()))


def _update(session: Session, statement: Any) -> int:
    result = session.execute(statement.values(updated_at=utcnow())
                             .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def mark_processing(session: Session, *, page_id: int, job_id: int) -> bool:
    """Show that a job's worker took the page. Refused (False) once a newer job owns the
    page, or once this job let it go (cancelled)."""
    mine = and_(Page.last_job_id == job_id, Page.ocr_status.in_(
        [PageStatus.QUEUED.value, PageStatus.PROCESSING.value]))
    return bool(_update(session, update(Page).where(
        Page.id == page_id, or_(Page.last_job_id.is_(None), Page.last_job_id < job_id, mine))
        .values(last_job_id=job_id, ocr_status=PageStatus.PROCESSING.value)))


def save_read(session: Session, *, page_id: int, job_id: int, values: dict[str, Any]) -> bool:
    """Store what a job read on the page, replacing any earlier result. Called in the
    settle of the page's chunk, under the job's lock while it is live; refused (False)
    once a newer job owns the page."""
    return bool(_update(session, update(Page).where(Page.id == page_id, _not_newer(job_id))
                        .values(last_job_id=job_id, ocr_status=PageStatus.COMPLETED.value,
                                ocr_error=None, ocr_error_type=None, **values)))


def save_failure(session: Session, *, page_id: int, job_id: int, error_type: str,
                 error: str) -> bool:
    """A job could not read the page: say why. An earlier result is kept (and still
    served); only a later successful read replaces it. Called like `save_read`."""
    return bool(_update(session, update(Page).where(Page.id == page_id, _not_newer(job_id))
                        .values(last_job_id=job_id, ocr_status=PageStatus.FAILED.value,
                                ocr_error=error, ocr_error_type=error_type,
                                ocr_finished_at=utcnow())))


def _not_newer(job_id: int) -> ColumnElement[bool]:
    return or_(Page.last_job_id.is_(None), Page.last_job_id <= job_id)
