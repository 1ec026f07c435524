"""A PDF worker that settled a chunk goes on with the job's next one, claimed in the same
transaction (no task message), and a worker lost mid-chain leaves that chunk to the
reaper; a job's progress is written at most 4 times a second; a chunk's pages take no
transaction of their own. On the real Postgres."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from shared.celery_app import TaskName
from shared.db import get_engine, session_scope, utcnow
from shared.errors import ConveyorError, ErrorCode, TransientError
from shared.jobs import lifecycle
from shared.jobs import repository as repo
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput, run_chunk
from shared.jobs.models import JobChunk, JobStatus
from shared.settings import get_settings
from tests.support import db


def _items(context: ChunkContext) -> ChunkOutput:
    return ChunkOutput(result={"items": [f"sentence {context.index}"]})


def _writes_progress(statement: str) -> bool:
    return (statement.startswith("UPDATE job SET")
            and "progress_percent=" in statement.split(" WHERE ", 1)[0])


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement this process sends while the test runs ("COMMIT" for each
    commit)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    def commit(conn) -> None:
        seen.append("COMMIT")

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", commit)
    yield seen
    event.remove(engine, "before_cursor_execute", record)
    event.remove(engine, "commit", commit)


def test_one_task_runs_the_jobs_chunks_back_to_back_without_messages(queued_job):
    job_id, chunk_ids = queued_job(6, queued=2)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=_items,
                     follow_on=True) == "completed"
    chunks = db.chunks(job_id)
    # Chunk 1 was queued with a message (not published here); the pending ones came first.
    assert {c.status for c in chunks} == {JobStatus.COMPLETED}
    assert [c.attempts for c in chunks] == [1] * 6
    assert db.outbox_messages_for(chunk_ids) == 0
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None and job.status == JobStatus.COMPLETED
        assert job.result["item_count"] == 6
        events = repo.events_of(session, job_id=job_id, limit=500, offset=0)
    attempts = [e for e in events if e.event_type == "attempt"]
    # The pending chunks first, in page order (they have no message yet), then the queued
    # one, whose message will find it taken.
    assert [e.chunk_index for e in attempts] == [0, 2, 3, 4, 5, 1]
    assert [bool(e.detail.get("handed_over")) for e in attempts] == [False] + [True] * 5
    assert [e.from_status for e in attempts] == ["queued"] + ["pending"] * 4 + ["queued"]
    # Every attempt has its task id, a taken pending chunk the one its message would have.
    with session_scope() as session:
        celery_task_id = repo.get_job(session, job_id).celery_task_id
    assert [c.task_id for c in chunks[2:]] == [f"{celery_task_id}_c{i}_a1" for i in range(2, 6)]
    # The message of the queued chunk comes late: a duplicate, dropped.
    assert run_chunk(chunk_id=chunk_ids[1], attempt=1, work=_items) == "skipped"
    assert db.ledger_for_job(job_id) == [("reserve", 6)]


def test_a_message_whose_chunk_was_taken_does_not_wait_for_the_jobs_lock(queued_job,
                                                                          unpublished):
    job_id, chunk_ids = queued_job(3, queued=2)
    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=_items,
                     follow_on=True) == "completed"  # chunk 1 too: its message is stale
    with ThreadPoolExecutor(1) as other_thread, session_scope() as holder:
        # Another transaction holds the job's lock meanwhile (a record, say).
        assert repo.get_job(holder, job_id, for_update=True) is not None
        late = other_thread.submit(run_chunk, chunk_id=chunk_ids[1], attempt=1, work=_items)
        assert late.result(timeout=10) == "skipped"


def _chain_order(first_chunk_id: int) -> list[int]:
    """The indexes of the chunks one follow-on chain from `first_chunk_id` ran, in order."""
    order: list[int] = []

    def record(context: ChunkContext) -> ChunkOutput:
        order.append(context.index)
        return _items(context)

    assert run_chunk(chunk_id=first_chunk_id, attempt=1, work=record,
                     follow_on=True) == "completed"
    return order


def test_a_worker_whose_next_chunk_is_taken_goes_on_from_the_middle_of_what_is_left(
        queued_job, unpublished):
    """Another worker holds chunk 1 and will go on with 2, 3, ...: this one leaves it the
    first half of what is left and splits again whenever its own run ends."""
    job_id, chunk_ids = queued_job(10, queued=2)
    with session_scope() as session:
        assert repo.claim_chunk(session, chunk_id=chunk_ids[1], attempt=1,
                                worker_id="other-worker") is not None
    # Free after 0: 2-9, behind the running 1: from 2 + 8 // 2 = 6 to the end; then 2-5
    # from 4; then 2-3 from 3; then 2.
    assert _chain_order(chunk_ids[0]) == [0, 6, 7, 8, 9, 4, 5, 3, 2]
    assert [c.status for c in db.chunks(job_id)] == (
        [JobStatus.COMPLETED, JobStatus.RUNNING] + [JobStatus.COMPLETED] * 8)


def test_a_free_run_nobody_works_towards_is_taken_from_its_start(queued_job, unpublished):
    job_id, chunk_ids = queued_job(8, queued=1)
    with session_scope() as session:  # chunks 1 and 2 are done, by another worker
        session.execute(update(JobChunk).where(JobChunk.id.in_(chunk_ids[1:3])).values(
            status=JobStatus.COMPLETED, attempts=1))
    assert _chain_order(chunk_ids[0]) == [0, 3, 4, 5, 6, 7]
    assert [c.status for c in db.chunks(job_id)] == [JobStatus.COMPLETED] * 8


def test_a_chunk_naming_another_task_is_left_to_that_task(queued_job, unpublished):
    job_id, chunk_ids = queued_job(3, queued=1)
    with session_scope() as session:  # chunk 1 is some other task's work (as a crawl's are)
        session.execute(update(JobChunk).where(JobChunk.id == chunk_ids[1]).values(
            spec={"first_page": 2, "last_page": 2,
                  "task_name": TaskName.CRAWL_CHUNK_WEB.value}))

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=_items,
                     follow_on=True) == "completed"
    assert [c.status for c in db.chunks(job_id)] == [
        JobStatus.COMPLETED, JobStatus.QUEUED, JobStatus.COMPLETED]
    # Queued for its own task instead.
    assert db.outbox_messages_for([chunk_ids[1]], TaskName.CRAWL_CHUNK_WEB) == 1


def test_after_its_follow_on_time_a_worker_hands_the_next_chunk_to_the_queue(
        queued_job, monkeypatch, unpublished):
    monkeypatch.setattr(get_settings(), "chunk_follow_on_seconds", 0.0)
    job_id, chunk_ids = queued_job(3, queued=1)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=_items,
                     follow_on=True) == "completed"
    statuses = [c.status for c in db.chunks(job_id)]
    assert statuses == [JobStatus.COMPLETED, JobStatus.QUEUED, JobStatus.PENDING]
    assert db.outbox_messages_for(chunk_ids) == 1


def test_the_follow_on_time_is_judged_when_a_chunk_ends_not_when_it_starts(
        queued_job, monkeypatch, unpublished):
    monkeypatch.setattr(get_settings(), "chunk_follow_on_seconds", 0.2)
    job_id, chunk_ids = queued_job(3, queued=1)

    def slow(context: ChunkContext) -> ChunkOutput:
        time.sleep(0.4)  # past the follow-on time by the time it is done
        return _items(context)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=slow,
                     follow_on=True) == "completed"
    statuses = [c.status for c in db.chunks(job_id)]
    assert statuses == [JobStatus.COMPLETED, JobStatus.QUEUED, JobStatus.PENDING]


def test_a_chunk_taken_by_follow_on_sets_a_retrying_job_running(queued_job, monkeypatch,
                                                                unpublished):
    monkeypatch.setattr(get_settings(), "chunk_follow_on_batch_seconds", 0.0)  # one by one
    job_id, chunk_ids = queued_job(4)
    seen: dict[int, str] = {}

    def work(context: ChunkContext) -> ChunkOutput:
        if context.index == 3:
            raise TransientError("provider blip")
        if context.index == 1:  # meanwhile another worker's chunk fails for a while
            assert run_chunk(chunk_id=chunk_ids[3], attempt=1, work=work) == "retrying"
        with session_scope() as session:
            job = repo.get_job(session, job_id)
            assert job is not None
            seen[context.index] = job.status
        return _items(context)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=work,
                     follow_on=True) == "completed"
    # Chunk 2 was taken after the job went retrying: taking it is a claim like any other.
    assert seen == {0: JobStatus.RUNNING, 1: JobStatus.RETRYING, 2: JobStatus.RUNNING}


def test_a_follow_on_stops_when_the_job_is_cancelled(queued_job):
    job_id, chunk_ids = queued_job(5, queued=1)

    def cancel_during_the_second(context: ChunkContext) -> ChunkOutput:
        if context.index == 1:
            with session_scope() as session:
                job = repo.get_job(session, job_id, for_update=True)
                assert job is not None and lifecycle.cancel_job(session, job) is not None
        return _items(context)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=cancel_during_the_second,
                     follow_on=True) == "stale"
    statuses = [c.status for c in db.chunks(job_id)]
    assert statuses == [JobStatus.COMPLETED] + [JobStatus.CANCELLED] * 4
    assert db.outbox_messages_for(chunk_ids) == 0
    assert db.ledger_for_job(job_id) == [("reserve", 5), ("release", 5)]


def test_a_retry_is_not_taken_before_its_backoff(queued_job, unpublished):
    job_id, chunk_ids = queued_job(2)

    def blip_once(context: ChunkContext) -> ChunkOutput:
        if context.index == 1 and context.attempt == 1:
            raise TransientError("provider blip")
        return _items(context)

    assert run_chunk(chunk_id=chunk_ids[1], attempt=1, work=blip_once) == "retrying"
    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=blip_once,
                     follow_on=True) == "completed"
    first, second = db.chunks(job_id)
    assert (first.status, second.status, second.attempts) == (
        JobStatus.COMPLETED, JobStatus.QUEUED, 1)


def test_progress_is_written_at_most_four_times_a_second(queued_job, statements,
                                                         unpublished):
    job_id, chunk_ids = queued_job(40, queued=5)
    statements.clear()

    started = time.monotonic()
    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=_items,
                     follow_on=True) == "completed"
    elapsed = time.monotonic() - started

    progress_writes = [s for s in statements if _writes_progress(s)]
    # The closing write (100) comes on top of those the interval allows.
    allowed = 1 + int(elapsed / lifecycle.PROGRESS_WRITE_INTERVAL.total_seconds()) + 1
    assert 1 <= len(progress_writes) <= allowed
    assert len(progress_writes) < len(chunk_ids) // 2
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None and (job.status, job.progress_percent) == (
            JobStatus.COMPLETED, 100)


def test_without_the_bound_every_settle_would_write_progress(queued_job, statements,
                                                             monkeypatch):
    """The counter above counts what it should: with no interval, each settle writes."""
    monkeypatch.setattr(lifecycle, "PROGRESS_WRITE_INTERVAL",
                        lifecycle.PROGRESS_WRITE_INTERVAL * 0)
    monkeypatch.setattr(get_settings(), "chunk_follow_on_batch_seconds", 0.0)  # one by one
    _, chunk_ids = queued_job(6, queued=1)
    statements.clear()

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=_items,
                     follow_on=True) == "completed"
    progress_writes = [s for s in statements if _writes_progress(s)]
    assert len(progress_writes) == 6  # 5 settles that leave work, and the closing one


def test_a_chunk_reading_many_pages_commits_twice(queued_job, statements):
    """Claim and settle: a page's report is a heartbeat only once one is due."""
    job_id, (chunk_id,) = queued_job(1)
    statements.clear()

    def pages(context: ChunkContext) -> ChunkOutput:
        for page in range(200):
            context.report(page)
        return _items(context)

    assert run_chunk(chunk_id=chunk_id, attempt=1, work=pages) == "completed"
    updates_of_chunk = [s for s in statements if s.startswith("UPDATE job_chunk")]
    assert len(updates_of_chunk) == 2  # the claim and the settle
    assert statements.count("COMMIT") == 2
    assert db.chunks(job_id)[0].status == JobStatus.COMPLETED


class _WorkerKilled(BaseException):
    """Stands for a SIGKILL: nothing of the runner's handling runs."""


def _chain_killed_at(first_chunk_id: int, index: int) -> None:
    """A follow-on chain from `first_chunk_id` whose worker dies in chunk `index`."""

    def work(context: ChunkContext) -> ChunkOutput:
        if context.index == index:
            raise _WorkerKilled
        return _items(context)

    with pytest.raises(_WorkerKilled):
        run_chunk(chunk_id=first_chunk_id, attempt=1, work=work, follow_on=True)


def test_a_worker_lost_mid_chain_leaves_its_chunk_to_the_reaper(queued_job, monkeypatch,
                                                                unpublished, own_reaper):
    monkeypatch.setattr(get_settings(), "chunk_follow_on_batch_seconds", 0.0)  # one by one
    job_id, chunk_ids = queued_job(3, queued=1)
    _chain_killed_at(chunk_ids[0], index=1)
    statuses = [(c.status, c.attempts) for c in db.chunks(job_id)]
    assert statuses == [(JobStatus.COMPLETED, 1), (JobStatus.RUNNING, 1),
                        (JobStatus.PENDING, 0)]
    db.quiet_heartbeats(chunk_ids[1:2])
    db.reap_once()
    assert [(c.status, c.attempts) for c in db.chunks(job_id)][1] == (JobStatus.QUEUED, 1)

    assert run_chunk(chunk_id=chunk_ids[1], attempt=2, work=_items,
                     follow_on=True) == "completed"
    assert {c.status for c in db.chunks(job_id)} == {JobStatus.COMPLETED}
    with session_scope() as session:
        events = repo.events_of(session, job_id=job_id, limit=500, offset=0)
        job = repo.get_job(session, job_id)
        assert job is not None and job.status == JobStatus.COMPLETED
    assert [e.event_type for e in events].count("worker_lost") == 1
    assert db.ledger_for_job(job_id) == [("reserve", 3)]


def _batches_of_a_chain(first_chunk_id: int, chunk_ids: list[int]) -> list[list[int]]:
    """The batches one follow-on chain from `first_chunk_id` ran: each the chunk indexes a
    worker held at once."""
    index_of = {chunk_id: index for index, chunk_id in enumerate(chunk_ids)}
    batches: list[list[int]] = []

    def record(context: ChunkContext) -> ChunkOutput:
        # What the worker holds while this chunk runs: itself and the rest of its batch.
        if not batches or context.index not in batches[-1]:
            batches.append(sorted([context.index] + [index_of[chunk_id]
                                                     for chunk_id, _ in context.held]))
        return _items(context)

    assert run_chunk(chunk_id=first_chunk_id, attempt=1, work=record,
                     follow_on=True) == "completed"
    return batches


def test_fast_chunks_are_taken_a_few_at_a_time_and_recorded_together(queued_job, statements,
                                                                     unpublished):
    job_id, chunk_ids = queued_job(12, queued=1)
    statements.clear()

    # At most 8 at once; alone on the job, full batches to its end.
    assert _batches_of_a_chain(chunk_ids[0], chunk_ids) == [
        [0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11]]
    assert statements.count("COMMIT") == 4  # the claim and three settles
    completions = [s for s in statements if s.startswith("UPDATE job_chunk SET status")
                   and "result=" in s]
    assert len(completions) == 3  # one statement a settle, for every chunk of its batch
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None and (job.status, job.result["item_count"]) == (
            JobStatus.COMPLETED, 12)
    assert db.ledger_for_job(job_id) == [("reserve", 12)]


def test_beside_another_worker_a_batch_is_at_most_half_of_what_is_free(queued_job,
                                                                      unpublished):
    """Near the job's end the other worker may be done with its own: it must find chunks
    left to take rather than wait for this one's."""
    job_id, chunk_ids = queued_job(10, queued=1)
    with session_scope() as session:  # chunk 9 runs, by another worker
        session.execute(update(JobChunk).where(JobChunk.id == chunk_ids[9]).values(
            status=JobStatus.RUNNING, attempts=1, worker_id="other-worker",
            started_at=utcnow(), heartbeat_at=utcnow()))

    # Free after 0: 1-8, of which half; then half of the four left, and so on.
    assert _batches_of_a_chain(chunk_ids[0], chunk_ids) == [[0], [1, 2, 3, 4], [5, 6], [7], [8]]
    assert [c.status for c in db.chunks(job_id)] == [JobStatus.COMPLETED] * 9 + [
        JobStatus.RUNNING]


def test_a_chunk_lost_while_its_batch_ran_is_left_out_of_the_batchs_record(
        queued_job, statements, unpublished, own_reaper):
    """The batch's results go in one statement; a chunk the reaper took back meanwhile is
    not in it (stale), the others are recorded, and the chain ends there."""
    job_id, chunk_ids = queued_job(12, queued=1)
    statements.clear()

    def work(context: ChunkContext) -> ChunkOutput:
        if context.index == 3:  # chunk 2 is done and held, not yet recorded
            db.quiet_heartbeats([chunk_ids[2]])
            db.reap_once()
        return _items(context)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=work,
                     follow_on=True) == "completed"
    chunks = db.chunks(job_id)
    assert [(c.status, c.attempts) for i, c in enumerate(chunks[:9]) if i != 2] == [
        (JobStatus.COMPLETED, 1)] * 8
    assert chunks[2].result is None
    # Chunk 2 was taken ahead, then lost to the reaper, and never completed. Its next
    # attempt's message sits in the outbox, which the session beat relays after a second:
    # what a live worker of the session made of that attempt since is not this test's.
    with session_scope() as session:
        events = repo.events_of(session, job_id=job_id, limit=500, offset=0)
    assert [(e.event_type, e.to_status) for e in events if e.chunk_index == 2][:2] == [
        ("attempt", "running"), ("worker_lost", None)]
    assert not any(e.chunk_index == 2 and e.to_status == "completed" for e in events)
    assert all(c.attempts == 0 for c in chunks[9:])  # none taken after a stale one
    completions = [s for s in statements if s.startswith("UPDATE job_chunk SET status")
                   and "result=" in s]
    assert len(completions) == 2  # chunk 0's settle, then 1 and 3-8 together


def test_slow_chunks_go_one_at_a_time(queued_job, statements, monkeypatch, unpublished):
    monkeypatch.setattr(get_settings(), "chunk_follow_on_batch_seconds", 0.01)
    job_id, chunk_ids = queued_job(3, queued=1)
    statements.clear()

    def slow(context: ChunkContext) -> ChunkOutput:
        assert context.held == []
        time.sleep(0.02)  # longer than the batch time: nothing to take ahead
        return _items(context)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=slow,
                     follow_on=True) == "completed"
    assert statements.count("COMMIT") == 4  # the claim and a settle per chunk
    assert {c.status for c in db.chunks(job_id)} == {JobStatus.COMPLETED}


def test_the_chunks_a_worker_holds_live_on_its_heartbeat(queued_job, unpublished):
    job_id, chunk_ids = queued_job(12, queued=1)
    long_ago = utcnow() - timedelta(minutes=10)
    seen: dict[str, list] = {}

    def beat(context: ChunkContext) -> ChunkOutput:
        if context.index == 1:  # the first of a batch of eight
            with session_scope() as session:
                session.execute(update(JobChunk).where(JobChunk.id.in_(chunk_ids[1:]))
                                .values(heartbeat_at=long_ago))
            context.report(3, force=True)
            seen["held"] = [chunk_id for chunk_id, _ in context.held]
            seen["beats"] = [(c.id, c.heartbeat_at) for c in db.chunks(job_id)]
        return _items(context)

    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=beat,
                     follow_on=True) == "completed"
    assert seen["held"] == chunk_ids[2:9]
    fresh = {chunk_id for chunk_id, at in seen["beats"]
             if chunk_id != chunk_ids[0] and at > long_ago}
    assert fresh == set(chunk_ids[1:9])  # the chunk itself and its batch; not the rest


def test_a_worker_lost_mid_batch_leaves_every_chunk_it_held_to_the_reaper(queued_job,
                                                                          unpublished,
                                                                          own_reaper):
    job_id, chunk_ids = queued_job(12, queued=1)
    _chain_killed_at(chunk_ids[0], index=2)
    # Chunk 1 was done but not recorded: its batch (1-8) is recorded together.
    assert [(c.status, c.attempts) for c in db.chunks(job_id)] == (
        [(JobStatus.COMPLETED, 1)] + [(JobStatus.RUNNING, 1)] * 8
        + [(JobStatus.PENDING, 0)] * 3)
    db.quiet_heartbeats(chunk_ids[1:9])
    db.reap_once()
    assert [(c.status, c.attempts) for c in db.chunks(job_id)][1:9] == [
        (JobStatus.QUEUED, 1)] * 8

    for chunk_id in chunk_ids[1:9]:  # their messages, as the outbox would send them
        assert run_chunk(chunk_id=chunk_id, attempt=2, work=_items,
                         follow_on=True) == "completed"
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None and job.status == JobStatus.COMPLETED
        events = repo.events_of(session, job_id=job_id, limit=500, offset=0)
    assert [e.event_type for e in events].count("worker_lost") == 8
    assert db.ledger_for_job(job_id) == [("reserve", 12)]


def test_a_batch_whose_recording_fails_is_recorded_chunk_by_chunk(queued_job, unpublished):
    job_id, chunk_ids = queued_job(12, queued=1)

    def work(context: ChunkContext) -> ChunkOutput:
        def store(session) -> dict:
            if context.index == 2:
                raise ConveyorError(ErrorCode.PROCESSING_FAILED, "the result does not fit")
            return {"items": [f"sentence {context.index}"]}
        return ChunkOutput(store=store)

    # Chunks 1-8 were one batch; chunk 8 was recorded last.
    assert run_chunk(chunk_id=chunk_ids[0], attempt=1, work=work,
                     follow_on=True) == "completed"
    chunks = db.chunks(job_id)
    assert [c.status for c in chunks[:4]] == [JobStatus.COMPLETED, JobStatus.COMPLETED,
                                              JobStatus.FAILED, JobStatus.COMPLETED]
    assert chunks[2].error == "the result does not fit"
    assert [e.to_status for e in _chunk_events(job_id)] == [
        "completed", "completed", "failed", *["completed"] * 6]
    with session_scope() as session:
        job = repo.get_job(session, job_id)
        assert job is not None and job.status == JobStatus.RUNNING  # the rest is to come


def _chunk_events(job_id: int) -> list:
    with session_scope() as session:
        return [e for e in repo.events_of(session, job_id=job_id, limit=500, offset=0)
                if e.event_type == "chunk"]
