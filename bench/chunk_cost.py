"""What the platform adds to every chunk: claim, settle, the hand-over to the job's next
chunk, and the job's close, through the real chunk runner against Postgres.

    python -m bench.chunk_cost                        # this tree only
    python -m bench.chunk_cost --baseline-rev main    # and REV's code, in the same run
    python -m bench.chunk_cost --quick                # smoke run

A job is made as a started 300-page PDF job is (20 chunks of 15 pages, 5 queued, 15
pending); one `run_chunk` with follow-on then runs all of its chunks back to back, as
one PDF worker does. The work returns at once a 15-page chunk's result (930 sentences,
62 a page, as the flowing test PDF gives) with a PDF chunk's metrics: what is timed is
the platform's part of a chunk and nothing else. Work that fast is taken a few chunks at
a time (CHUNK_FOLLOW_ON_BATCH_SECONDS), as PDFium's is. Per chunk: wall ms, the runner's
CPU ms and the Postgres backends' CPU ms.

Each system runs in a process of its own, from its own tree, on its own database
migrated by that tree; with `--baseline-rev REV` the two alternate round by round
(baseline, ours, ...) so a shared machine's drift hits both alike, and each round
gives a ratio. The measuring process runs this file with the other tree first on its
path, so it imports that tree's `shared` (and `bench.common`): a baseline must be a
revision that has `bench.common.postgres_backends` (session 15 and later).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import (
    bench_env,
    exported_revision,
    machine_note,
    now_text,
    ratio,
)
from tests.support.stack import REPO_ROOT

CHUNKS, PARALLELISM, PAGES_PER_CHUNK, SENTENCES_PER_PAGE = 20, 5, 15, 62
FULL = {"jobs": 30, "rounds": 3}
QUICK = {"jobs": 3, "rounds": 1}


def _sentences() -> list[str]:
    """A 15-page chunk's sentences: 5-12 words each, the same in every process."""
    rng = random.Random(15)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9)))
             for _ in range(3000)]
    return [" ".join(rng.choices(words, k=rng.randint(5, 12))).capitalize() + "."
            for _ in range(PAGES_PER_CHUNK * SENTENCES_PER_PAGE)]


def measure(jobs: int) -> dict[str, Any]:
    """Runs in the measured tree's process: `jobs` jobs (and one untimed warm-up), each
    run to its end by one follow-on chain; per job its seconds and CPU seconds."""
    from bench.common import cpu_seconds, postgres_backends
    from shared.auth.accounts import create_user
    from shared.credits import ledger
    from shared.db import get_engine, session_scope
    from shared.jobs.chunk_runner import ChunkContext, ChunkOutput, run_chunk
    from shared.jobs.models import Job, JobChunk, JobKind, JobStatus

    sentences = _sentences()
    metrics = {"pages": PAGES_PER_CHUNK, "ocr_pages": [], "empty_pages": [],
               "unread_scanned_pages": [], "gemini_api_calls": 0, "gemini_tokens_used": 0}
    database = get_engine().url.database or ""

    def work(context: ChunkContext) -> ChunkOutput:
        return ChunkOutput(result={"items": sentences}, metrics=metrics)

    with session_scope() as session:
        user_id = create_user(session, email=f"chunk-cost-{uuid.uuid4().hex[:8]}@example.com",
                              password="long enough pw", signup_credits=10_000_000).id

    def new_job() -> tuple[int, int]:
        with session_scope() as session:
            job = Job(user_id=user_id, kind=JobKind.PDF, status=JobStatus.QUEUED,
                      params={"text_engine": "pdfium", "ocr": "auto"},
                      estimated_credits=CHUNKS * PAGES_PER_CHUNK,
                      reserved_credits=CHUNKS * PAGES_PER_CHUNK, total_chunks=CHUNKS,
                      parallelism=PARALLELISM, chunk_task="pdf.process_chunk",
                      celery_task_id=f"job_bench_{uuid.uuid4().hex[:8]}",
                      page_count=CHUNKS * PAGES_PER_CHUNK, current_step="Queued")
            session.add(job)
            session.flush()
            ledger.reserve(session, user_id=user_id, job_id=job.id,
                           amount=job.reserved_credits)
            chunks = [JobChunk(job_id=job.id, index=i, units_total=PAGES_PER_CHUNK,
                               attempts=0, units_done=0,
                               status=JobStatus.QUEUED if i < PARALLELISM else JobStatus.PENDING,
                               task_id=f"{job.celery_task_id}_c{i}_a1" if i < PARALLELISM
                               else None,
                               spec=_spec(i))
                      for i in range(CHUNKS)]
            session.add_all(chunks)
            session.flush()
            return job.id, chunks[0].id

    def ended(job_id: int) -> str:
        with session_scope() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job.status.value

    runs = []
    for number in range(jobs + 1):
        job_id, first_chunk = new_job()
        backends = {pid: cpu_seconds(pid) for pid in postgres_backends(database)}
        cpu0, t0 = time.process_time(), time.perf_counter()
        outcome = run_chunk(chunk_id=first_chunk, attempt=1, work=work, follow_on=True)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        pg = sum(cpu_seconds(pid) - backends.get(pid, 0.0)
                 for pid in postgres_backends(database))
        state = ended(job_id)
        if outcome != "completed" or state != "completed":
            raise RuntimeError(f"job {job_id} ended {outcome}, {state}: not a full chain")
        if number:  # the first one warms the process up
            runs.append({"seconds": seconds, "cpu_s": cpu, "postgres_cpu_s": pg})
    return {"runs": runs}


def _spec(index: int) -> dict[str, int]:
    first = index * PAGES_PER_CHUNK + 1
    last = first + PAGES_PER_CHUNK - 1
    return {"first_page": first, "last_page": last, "read_first_page": max(1, first - 1),
            "read_last_page": min(CHUNKS * PAGES_PER_CHUNK, last + 1)}


def _run_tree(root: Path, env: dict[str, str], jobs: int) -> dict[str, Any]:
    """`measure` in a process of its own that imports the tree at `root`."""
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", str(jobs)], cwd=root,
        env={**env, "PYTHONPATH": str(root)}, capture_output=True, text=True)
    if completed.returncode:
        raise RuntimeError(f"the measuring process in {root} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _per_chunk(runs: list[dict[str, Any]], key: str) -> float:
    """Median over the jobs of `key`, in ms per chunk."""
    return statistics.median(run[key] for run in runs) / CHUNKS * 1000


def run(*, quick: bool = False, baseline_rev: str | None = None, jobs: int | None = None,
        rounds: int | None = None) -> dict[str, Any]:
    plan = QUICK if quick else FULL
    jobs, rounds = jobs or plan["jobs"], rounds or plan["rounds"]
    result: dict[str, Any] = {"benchmark": "chunk_cost", "date": now_text(),
                              "machine": machine_note(), "jobs": jobs, "rounds": rounds,
                              "chunks_per_job": CHUNKS, "baseline_rev": baseline_rev}
    with ExitStack() as stack:
        trees: dict[str, Path] = {"ours": REPO_ROOT}
        if baseline_rev:
            root, commit = stack.enter_context(exported_revision(baseline_rev))
            trees = {"baseline": root, **trees}
            result["baseline_commit"] = commit
        envs = {name: stack.enter_context(bench_env(f"chunks-{name}", root=root))
                for name, root in trees.items()}
        rounds_out: list[dict[str, Any]] = []
        for number in range(rounds):
            measured = {name: _run_tree(root, envs[name].env, jobs)["runs"]
                        for name, root in trees.items()}
            row = {name: {key: _per_chunk(runs, key)
                          for key in ("seconds", "cpu_s", "postgres_cpu_s")}
                   for name, runs in measured.items()}
            rounds_out.append(row)
            print(f"  round {number + 1}: " + "  ".join(
                f"{name} {ms['seconds']:.2f} ms/chunk (runner CPU {ms['cpu_s']:.2f}, "
                f"Postgres CPU {ms['postgres_cpu_s']:.2f})" for name, ms in row.items()),
                file=sys.stderr)
        result["rounds_ms_per_chunk"] = rounds_out
    return result


def render(result: dict[str, Any]) -> str:
    rounds = result["rounds_ms_per_chunk"]
    names = list(rounds[0])
    lines = [f"chunk cost, {result['chunks_per_job']} chunks a job, {result['jobs']} jobs a "
             f"round, {result['rounds']} rounds · {result['machine']}", "",
             "| system | wall ms/chunk | runner CPU ms/chunk | Postgres CPU ms/chunk |",
             "| --- | ---: | ---: | ---: |"]
    for name in names:
        values = {key: statistics.median(r[name][key] for r in rounds)
                  for key in ("seconds", "cpu_s", "postgres_cpu_s")}
        label = (f"baseline {result['baseline_commit'][:8]}" if name == "baseline" else name)
        lines.append(f"| {label} | {values['seconds']:.2f} | {values['cpu_s']:.2f} | "
                     f"{values['postgres_cpu_s']:.2f} |")
    if "baseline" in names:
        for key, title in (("seconds", "wall"), ("cpu_s", "runner CPU"),
                           ("postgres_cpu_s", "Postgres CPU")):
            per_round = [ratio(r["baseline"][key], r["ours"][key]) for r in rounds]
            lines.append(f"- {title}: baseline / ours per round "
                         + ", ".join(f"{x:.2f}x" for x in per_round))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--baseline-rev", help="also measure this git revision's code")
    parser.add_argument("--jobs", type=int, help="timed jobs per round and system")
    parser.add_argument("--rounds", type=int, help="rounds (each runs every system once)")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure(args.measure)))
        return 0
    result = run(quick=args.quick, baseline_rev=args.baseline_rev, jobs=args.jobs,
                 rounds=args.rounds)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
