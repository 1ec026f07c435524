"""Chunks of one job settling at the same moment, and a cancel racing live heartbeats,
on the real Postgres: no deadlock, no lost result, credits moved once."""

import threading
import time
from typing import Any

from sqlalchemy.orm import Session

from shared import storage
from shared.db import session_scope
from shared.errors import ConveyorError, ErrorCode
from shared.jobs import lifecycle
from shared.jobs import repository as repo
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput, run_chunk
from shared.jobs.models import JobStatus
from tests.support import db
from tests.support.files import stored_path


def _run_all(chunk_ids: list[int], work) -> list[str]:
    outcomes: list[str] = [""] * len(chunk_ids)
    barrier = threading.Barrier(len(chunk_ids))

    def run(position: int, chunk_id: int) -> None:
        barrier.wait()
        outcomes[position] = run_chunk(chunk_id=chunk_id, attempt=1, work=work)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(chunk_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_chunks_of_one_job_settling_together_all_count(queued_job):
    job_id, chunk_ids = queued_job(8)

    def work(context: ChunkContext) -> ChunkOutput:
        time.sleep(0.02)
        return ChunkOutput(result={"items": [context.index], "item_count": 1})

    assert _run_all(chunk_ids, work) == ["completed"] * 8
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None
        assert (job.status, job.progress_percent) == (JobStatus.COMPLETED, 100)
        assert job.result["item_count"] == 8 and job.result["completed_units"] == 8
        events = repo.events_of(session, job_id=job_id, limit=500, offset=0)
        assert sum(e.event_type == "chunk" for e in events) == 8
        assert [e.to_status for e in events if e.event_type == "status"].count("completed") == 1


def test_cancel_racing_heartbeats_stops_every_chunk_and_refunds_once(queued_job):
    job_id, chunk_ids = queued_job(4)
    started = threading.Semaphore(0)

    def work(context: ChunkContext) -> ChunkOutput:
        started.release()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            context.report(0, force=True)  # a heartbeat transaction, back to back
        return ChunkOutput(result={"items": [], "item_count": 0})

    results: list[list[str]] = []
    runner = threading.Thread(target=lambda: results.append(_run_all(chunk_ids, work)))
    runner.start()
    for _ in chunk_ids:
        assert started.acquire(timeout=30)
    with session_scope() as session:
        job = repo.get_job(session, job_id, for_update=True)
        assert job is not None
        assert lifecycle.cancel_job(session, job) is not None
    runner.join(timeout=60)
    assert results == [["stopped"] * 4]
    assert {c.status for c in db.chunks(job_id)} == {JobStatus.CANCELLED}
    assert db.ledger_for_job(job_id) == [("reserve", 4), ("release", 4)]


def test_deferred_steps_are_written_with_the_next_write_and_with_a_failure(queued_job):
    job_id, (chunk_id,) = queued_job(1)
    seen_while_running: list[tuple[str | None, int]] = []

    def current() -> tuple[str | None, int]:
        with session_scope() as session:
            job = repo.get_job(session, job_id)
            assert job is not None
            return job.current_step, job.progress_percent

    def work(context: ChunkContext) -> ChunkOutput:
        context.step("LOAD", 5, defer=True)
        seen_while_running.append(current())  # nothing written yet
        context.step("READ", 25)  # writes LOAD too, in one commit
        seen_while_running.append(current())
        context.step("CHECK", 40, defer=True)
        raise ConveyorError(ErrorCode.PROCESSING_FAILED, "unreadable")

    assert run_chunk(chunk_id=chunk_id, attempt=1, work=work) == "failed"
    assert seen_while_running[1] == ("READ", 25)
    assert seen_while_running[0][0] != "LOAD"
    with session_scope() as session:
        events = repo.events_of(session, job_id=job_id, limit=100, offset=0)
        steps = [e for e in events if e.event_type == "step"]
        assert [(e.detail["step"], e.detail["progress"], e.detail["attempt"])
                for e in steps] == [("LOAD", 5, 1), ("READ", 25, 1), ("CHECK", 40, 1)]
        # Each keeps the time it began, and the failure comes after the last of them.
        times = [e.created_at for e in steps]
        assert times == sorted(times)
        kinds = [e.event_type for e in events]
        assert kinds.index("chunk") > max(i for i, kind in enumerate(kinds) if kind == "step")
    assert db.chunks(job_id)[0].status == JobStatus.FAILED
    assert db.ledger_for_job(job_id) == [("reserve", 1), ("release", 1)]


def test_a_result_is_stored_with_the_completion_and_never_for_a_cancelled_job(queued_job):
    job_id, (first, second) = queued_job(2)
    stored: list[int] = []

    def store(session: Session) -> dict[str, Any]:
        assert repo.get_job(session, job_id) is not None  # inside the settle's transaction
        stored.append(1)
        return {"items": ["kept"]}

    assert run_chunk(chunk_id=first, attempt=1,
                     work=lambda _: ChunkOutput(store=store)) == "completed"
    assert db.chunks(job_id)[0].result == {"items": ["kept"]}

    def cancelled_meanwhile(_: ChunkContext) -> ChunkOutput:
        with session_scope() as session:
            job = repo.get_job(session, job_id, for_update=True)
            assert job is not None and lifecycle.cancel_job(session, job) is not None
        return ChunkOutput(store=store)

    assert run_chunk(chunk_id=second, attempt=1, work=cancelled_meanwhile) == "stopped"
    assert stored == [1]
    assert db.ledger_for_job(job_id) == [("reserve", 2), ("release", 2)]


def test_a_store_that_fails_fails_the_chunk_and_keeps_nothing(queued_job):
    job_id, (chunk_id,) = queued_job(1)
    written: list[str] = []

    def store(session: Session) -> dict[str, Any]:
        written.append(storage.write_bytes_in(session, "test-results", ".bin", b"partial"))
        raise ConveyorError(ErrorCode.PROCESSING_FAILED, "the result does not fit")

    assert run_chunk(chunk_id=chunk_id, attempt=1,
                     work=lambda _: ChunkOutput(store=store)) == "failed"
    assert not stored_path(written[0]).exists()  # removed with the rollback
    chunk = db.chunks(job_id)[0]
    assert (chunk.status, chunk.error) == (JobStatus.FAILED, "the result does not fit")
    assert db.ledger_for_job(job_id) == [("reserve", 1), ("release", 1)]


def test_a_file_written_for_a_committed_row_stays():
    with session_scope() as session:
        path = storage.write_bytes_in(session, "test-results", ".bin", b"kept")
    assert stored_path(path).read_bytes() == b"kept"
    storage.delete(path)


def test_a_failure_is_recorded_with_the_settle_and_never_for_a_cancelled_job(queued_job):
    job_id, (first, second) = queued_job(2)
    recorded: list[tuple[str, str]] = []

    def record(session: Session, error_type: str, error: str) -> None:
        assert repo.get_job(session, job_id) is not None  # inside the settle's transaction
        recorded.append((error_type, error))

    def unreadable(context: ChunkContext) -> ChunkOutput:
        context.on_failure = record
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the scan is cut short")

    assert run_chunk(chunk_id=first, attempt=1, work=unreadable) == "failed"
    assert recorded == [("INPUT_INVALID", "the scan is cut short")]

    def cancelled_meanwhile(context: ChunkContext) -> ChunkOutput:
        context.on_failure = record
        with session_scope() as session:
            job = repo.get_job(session, job_id, for_update=True)
            assert job is not None and lifecycle.cancel_job(session, job) is not None
        raise ConveyorError(ErrorCode.INPUT_INVALID, "too late to matter")

    assert run_chunk(chunk_id=second, attempt=1, work=cancelled_meanwhile) == "stale"
    assert recorded == [("INPUT_INVALID", "the scan is cut short")]


def test_list_metrics_are_concatenated_in_chunk_order_and_numbers_summed(queued_job):
    job_id, chunk_ids = queued_job(3)

    def work(context: ChunkContext) -> ChunkOutput:
        page = context.spec["first_page"]
        return ChunkOutput(result={"items": []},
                           metrics={"pages": 1, "ocr_pages": [{"page": page}],
                                    "empty_pages": [] if page == 2 else [page]})

    assert _run_all(chunk_ids, work) == ["completed"] * 3
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None and job.status == JobStatus.COMPLETED
        assert job.metrics == {"pages": 3, "ocr_pages": [{"page": 1}, {"page": 2}, {"page": 3}],
                               "empty_pages": [1, 3]}
        assert job.result["metrics"] == job.metrics
