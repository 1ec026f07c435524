"""A page job's pages are written with the job by the job service: queued in the
transaction that creates it, and the pages it never read settled in the one that ends it,
whoever ends it (the user, the reaper, the last chunk). Against the real database."""

from services.jobs.jobs import service
from shared.db import session_scope
from shared.jobs import lifecycle
from shared.jobs.contract import CreateJob
from shared.jobs.models import Job, JobKind
from shared.pages import repository as pages_repo
from shared.pages.models import Page, PageStatus
from shared.pages.params import PageSpec, PageTaskParams


def _pages(user_id: int, *, read_before: bool) -> list[int]:
    with session_scope() as session:
        project = pages_repo.create_project(session, user_id=user_id, name="p", description=None)
        pages = pages_repo.add_pages(session, [
            Page(project_id=project.id, page_number=n, source_path=f"pages/{n}.png",
                 ocr_text="an earlier read" if read_before and n == 1 else None,
                 ocr_status=PageStatus.COMPLETED.value if read_before and n == 1
                 else PageStatus.PENDING.value) for n in (1, 2)])
        return [page.id for page in pages]


def _queue(user_id: int, page_ids: list[int]) -> int:
    params = PageTaskParams(project_id=0, pages=[
        PageSpec(page_id=page_id, page_number=n, source_path=f"pages/{n}.png")
        for n, page_id in enumerate(page_ids, 1)])
    with session_scope() as session:
        view = service.create_job(session, CreateJob(
            user_id=user_id, kind=JobKind.PAGE_BATCH, units=len(page_ids),
            params=params.model_dump(mode="json")))
        return view.id


def _statuses(page_ids: list[int]) -> list[tuple[str, str | None]]:
    with session_scope() as session:
        pages = [session.get(Page, page_id) for page_id in page_ids]
        return [(page.ocr_status, page.ocr_error_type) for page in pages if page]


def test_pages_are_queued_with_the_job_that_creates_them(make_user):
    user_id = make_user(10)
    page_ids = _pages(user_id, read_before=False)

    job_id = _queue(user_id, page_ids)

    assert _statuses(page_ids) == [("queued", None), ("queued", None)]
    with session_scope() as session:
        assert {session.get(Page, page_id).last_job_id for page_id in page_ids} == {job_id}


def test_a_cancelled_job_gives_back_an_earlier_result_and_cancels_the_rest(make_user):
    user_id = make_user(10)
    page_ids = _pages(user_id, read_before=True)
    job_id = _queue(user_id, page_ids)

    with session_scope() as session:
        job = session.get(Job, job_id, with_for_update=True)
        assert job is not None and lifecycle.cancel_job(session, job) is not None

    assert _statuses(page_ids) == [("completed", None), ("cancelled", None)]


def test_a_failed_job_fails_the_pages_it_did_not_read(make_user):
    user_id = make_user(10)
    page_ids = _pages(user_id, read_before=False)
    job_id = _queue(user_id, page_ids)

    with session_scope() as session:  # as the reaper does with a job that timed out
        job = session.get(Job, job_id, with_for_update=True)
        assert job is not None and lifecycle.fail_job(
            session, job=job, error_type="TIMEOUT", message="timed out", retryable=True)

    assert _statuses(page_ids) == [("failed", "PROCESSING_FAILED")] * 2
