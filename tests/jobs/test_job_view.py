"""The job service's view of a job (what every status poll answers), pinned to fixed
values for a job with a chunk in every status: how its chunks are counted, summed and
listed must not change with how they are read."""

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.jobs.jobs import service
from shared.auth.accounts import create_user
from shared.credits import ledger
from shared.db import build_engine, in_read, session_scope
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.contract import JobView
from shared.jobs.models import Job, JobChunk, JobKind, JobStatus
from tests.support.stack import REPO_ROOT

S = JobStatus
STARTED = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
FINISHED = datetime(2026, 12, 4, 9, 31, 15, 250000, tzinfo=UTC)
OCR_NOTE = {"page": 41, "mean_confidence": 88.5, "word_count": 120, "turned_degrees": 0}

# index -> status, units done, task id, metrics, error, spec (10 units each)
CHUNKS: list[tuple[JobStatus, int, str | None, dict[str, Any], str | None]] = [
    (S.PENDING, 0, None, {}, None),
    (S.QUEUED, 0, "t_c1_a1", {}, None),
    (S.RUNNING, 4, "t_c2_a1", {"gemini_api_calls": 1, "empty_pages": [25]}, None),
    (S.RETRYING, 2, "t_c3_a2", {}, None),
    (S.COMPLETED, 10, "t_c4_a1", {"pages": 10, "gemini_api_calls": 3,
                                   "gemini_tokens_used": 1200, "ocr_pages": [OCR_NOTE],
                                   "empty_pages": [43], "unread_scanned_pages": [],
                                   "items": 57}, None),
    (S.FAILED, 3, "t_c5_a3", {}, "page 52 could not be read"),
    (S.CANCELLED, 1, "t_c6_a1", {"items": 5, "gemini_api_calls": 2}, None),
]
RESULTS = {S.COMPLETED: {"items": ["Four.", "Five."]}, S.CANCELLED: {"items": ["Six."]}}

FAILED_CHUNK = {"chunk_index": 5, "error_type": "PROCESSING_FAILED",
                "error": "page 52 could not be read", "first_page": 51, "last_page": 60}
STATS = {"total": 7, "units_done": 20, "units_total": 70, "pending": 1, "active": 3,
         "completed": 1, "failed": 1, "cancelled": 1}
TASK_IDS = ["t_c1_a1", "t_c2_a1", "t_c3_a2", "t_c4_a1", "t_c5_a3", "t_c6_a1"]
# Numbers summed, lists concatenated in chunk order, "items" left out: every chunk's.
LIVE_METRICS = {"gemini_api_calls": 6, "empty_pages": [25, 43], "pages": 10,
                "gemini_tokens_used": 1200, "ocr_pages": [OCR_NOTE], "unread_scanned_pages": []}
SUMMARY = {"completed_units": 10, "item_count": 62, "failed_chunks": [FAILED_CHUNK],
           "metrics": {"pages": 10}}


def _expected(**changes: Any) -> dict[str, Any]:
    """The view's fields that do not name the row (ids, creation times)."""
    return {
        "kind": "pdf", "status": "running", "cancel_requested": False,
        "original_filename": "book.pdf", "input_path": "uploads/book.pdf",
        "input_sha256": "ab" * 32, "page_count": 70, "params": {"gemini_model": "quality"},
        "progress_percent": 51, "current_step": "Processing chunk 3/7", "chunks": STATS,
        "failed_chunks": [FAILED_CHUNK], "error": None, "error_type": None,
        "retryable": None, "celery_task_id": "job_7_1764840600.000000",
        "task_ids": TASK_IDS, "attempts": 1, "estimated_credits": 70,
        "reserved_credits": 70, "charged_credits": None, "finalized_at": None,
        "started_at": "2026-12-04T09:30:00Z", "finished_at": None, "result": None,
        "metrics": LIVE_METRICS, "idempotent_replay": False, "result_items": None,
        **changes}


def _new_user(session: Session) -> int:
    return create_user(session, email=f"view-{uuid.uuid4().hex[:8]}@example.com",
                       password="long enough pw", signup_credits=100).id


def _write_job(session: Session, *, status: JobStatus = S.RUNNING,
               **job_fields: Any) -> tuple[int, int]:
    """A 7-chunk PDF job (user id, job id) whose chunks are in each status; the job's own
    status and fields as given."""
    user_id = _new_user(session)
    fields = {"progress_percent": 40, "current_step": "Queued", **job_fields}
    job = Job(user_id=user_id, kind=JobKind.PDF, status=status,
              original_filename="book.pdf", input_path="uploads/book.pdf",
              input_sha256="ab" * 32, page_count=70, params={"gemini_model": "quality"},
              total_chunks=len(CHUNKS), parallelism=3, chunk_task="pdf.process_chunk",
              celery_task_id="job_7_1764840600.000000", attempts=1, estimated_credits=70,
              reserved_credits=70, started_at=STARTED, **fields)
    session.add(job)
    session.flush()
    ledger.reserve(session, user_id=user_id, job_id=job.id, amount=70)
    session.add_all(
        JobChunk(job_id=job.id, index=index, status=chunk_status, units_total=10,
                 units_done=done, task_id=task_id, metrics=metrics, error=error,
                 error_type="PROCESSING_FAILED" if error else None,
                 attempts=3 if error else 1, result=RESULTS.get(chunk_status),
                 spec={"first_page": 10 * index + 1, "last_page": 10 * index + 10})
        for index, (chunk_status, done, task_id, metrics, error) in enumerate(CHUNKS))
    return user_id, job.id


@pytest.fixture
def job_in_every_state(database: str) -> Callable[..., tuple[int, int]]:
    def make(**job: Any) -> tuple[int, int]:
        with session_scope() as session:
            return _write_job(session, **job)

    return make


def _document(view: JobView) -> dict[str, Any]:
    """The view's fields that do not name the row (ids, creation times)."""
    document = view.model_dump(mode="json")
    for name in ("id", "uuid", "user_id", "created_at", "updated_at"):
        document.pop(name)
    return document


def _view(user_id: int, job_id: int, *, with_result: bool = False) -> dict[str, Any]:
    return _document(in_read(service.get_job, user_id=user_id, job_id=job_id,
                             with_result=with_result))


def test_a_running_job_counts_sums_and_lists_every_chunk(job_in_every_state):
    user_id, job_id = job_in_every_state()
    view = _view(user_id, job_id)
    elapsed = view.pop("processing_time_seconds")  # until now: it runs
    assert elapsed > 0
    assert view == _expected()


def test_a_running_job_never_shows_less_progress_than_it_wrote(job_in_every_state):
    user_id, job_id = job_in_every_state(progress_percent=70)
    view = _view(user_id, job_id)
    assert view["progress_percent"] == 70


def test_an_ended_job_shows_its_stored_metrics_and_result(job_in_every_state):
    user_id, job_id = job_in_every_state(
        status=S.COMPLETED, finished_at=FINISHED, current_step="Completed",
        progress_percent=100, result=SUMMARY, metrics={"pages": 10})
    view = _view(user_id, job_id)
    assert view == {**_expected(
        status="completed", progress_percent=100, current_step="Completed",
        finished_at="2026-12-04T09:31:15.250000Z", metrics={"pages": 10},
        result={"completed_units": 10, "item_count": 62, "failed_chunks": [FAILED_CHUNK],
                "metrics": {"pages": 10}}), "processing_time_seconds": 75.25}


def test_an_ended_job_with_its_result_lists_the_items_in_chunk_order(job_in_every_state):
    user_id, job_id = job_in_every_state(status=S.CANCELLED, finished_at=FINISHED,
                                         current_step="Cancelled", cancel_requested=True)
    view = _view(user_id, job_id, with_result=True)
    assert view["result_items"] == ["Four.", "Five.", "Six."]
    assert view["metrics"] == {}  # an ended job's own, none here
    assert view["current_step"] == "Cancelled" and view["progress_percent"] == 40


def test_a_running_job_has_no_result_items_even_when_asked(job_in_every_state):
    user_id, job_id = job_in_every_state()
    assert _view(user_id, job_id, with_result=True)["result_items"] is None


def test_a_job_without_chunks_counts_none(database):
    with session_scope() as session:
        user_id = _new_user(session)
        job = Job(user_id=user_id, kind=JobKind.CRAWL, status=S.PENDING,
                  estimated_credits=5, reserved_credits=5)
        session.add(job)
        session.flush()
        ledger.reserve(session, user_id=user_id, job_id=job.id, amount=5)
        job_id = job.id
    view = _view(user_id, job_id)
    assert view["chunks"] == {"total": 0, "units_done": 0, "units_total": 0, "pending": 0,
                              "active": 0, "completed": 0, "failed": 0, "cancelled": 0}
    assert (view["task_ids"], view["failed_chunks"], view["metrics"]) == ([], [], {})
    assert (view["status"], view["current_step"], view["processing_time_seconds"]) == (
        "pending", None, None)


def test_another_users_job_and_a_missing_one_are_not_found(job_in_every_state):
    owner, job_id = job_in_every_state()
    with session_scope() as session:
        stranger = _new_user(session)
    for user_id, wanted in ((stranger, job_id), (owner, job_id + 10_000)):
        with pytest.raises(ConveyorError) as refused:
            in_read(service.get_job, user_id=user_id, job_id=wanted)
        assert refused.value.code is ErrorCode.NOT_FOUND


def test_a_job_found_by_its_uuid_has_the_same_view(job_in_every_state):
    user_id, job_id = job_in_every_state()
    by_id = in_read(service.get_job, user_id=user_id, job_id=job_id)
    by_uuid = in_read(service.get_job_by_uuid, user_id=user_id, job_uuid=by_id.uuid)
    assert (by_uuid.id, _document(by_uuid)) == (job_id, {
        **_document(by_id), "processing_time_seconds": by_uuid.processing_time_seconds})
    with session_scope() as session:
        stranger = _new_user(session)
    with pytest.raises(ConveyorError) as refused:
        in_read(service.get_job_by_uuid, user_id=stranger, job_uuid=by_id.uuid)
    assert refused.value.code is ErrorCode.NOT_FOUND


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An embedded (SQLite) database built by the migrations: it reads a job and its
    chunks in two statements where Postgres needs one."""
    url = f"sqlite:///{tmp_path_factory.mktemp('embedded') / 'conveyor.db'}"
    subprocess.run([sys.executable, "-m", "shared.cli", "migrate"], cwd=REPO_ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url}, capture_output=True)
    return build_engine(url)


def _embedded_view(engine: Engine, **job: Any) -> JobView:
    with Session(engine) as session:
        user_id, job_id = _write_job(session, **job)
        session.commit()
    with engine.connect() as db:
        return service.get_job(db, user_id=user_id, job_id=job_id, with_result=True)


def test_the_embedded_database_gives_the_same_views(embedded):
    running = _document(_embedded_view(embedded))
    assert running.pop("processing_time_seconds") > 0
    assert running == _expected()
    ended = _document(_embedded_view(embedded, status=S.CANCELLED, finished_at=FINISHED,
                                     current_step="Cancelled", cancel_requested=True))
    assert ended == {**_expected(
        status="cancelled", cancel_requested=True, current_step="Cancelled",
        progress_percent=40, finished_at="2026-12-04T09:31:15.250000Z", metrics={},
        result_items=["Four.", "Five.", "Six."]), "processing_time_seconds": 75.25}
