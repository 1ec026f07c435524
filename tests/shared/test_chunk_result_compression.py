"""A chunk's result (a PDF chunk's is some 55 kB of sentences) is stored compressed with
lz4, which costs the settle about half of what Postgres' default pglz did
(bench/chunk_cost.py). On the real Postgres, migrated as in production."""

import uuid

from sqlalchemy import select, text

from shared.auth.accounts import create_user
from shared.db import session_scope
from shared.jobs.models import Job, JobChunk, JobKind


def test_a_large_chunk_result_is_stored_lz4_compressed_and_reads_back(database):
    sentences = [f"Sentence number {n} of a long chapter, in words." for n in range(2000)]
    with session_scope() as session:
        user = create_user(session, email=f"lz4-{uuid.uuid4().hex[:8]}@example.com",
                           password="long enough pw", signup_credits=1)
        job = Job(user_id=user.id, kind=JobKind.PDF)
        session.add(job)
        session.flush()
        chunk = JobChunk(job_id=job.id, index=0, spec={}, units_total=1,
                         result={"items": sentences})
        session.add(chunk)
        session.flush()
        chunk_id = chunk.id

    with session_scope() as session:
        method = session.scalar(text(
            "SELECT pg_column_compression(result) FROM job_chunk WHERE id = :id"),
            {"id": chunk_id})
        stored = session.scalar(select(JobChunk.result).where(JobChunk.id == chunk_id))

    assert method == "lz4"
    assert stored == {"items": sentences}
