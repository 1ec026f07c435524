"""CPU per status poll: `GET /api/v1/jobs/{job_id}` of a running 300-page PDF job
(20 chunks) through the real gateway -> job service -> Postgres, no workers.

    python -m bench.poll_cost                        # this tree only
    python -m bench.poll_cost --baseline-rev main    # and main's code, in the same run
    python -m bench.poll_cost --quick                # smoke run
    python -m bench.poll_cost --profile DIR          # extra py-spy pass per system (untimed)

The job is made as a client makes it (confirm, then process-pdf-async of the 300-page
flowing PDF); with no PDF worker nothing takes its chunks, and the bench then moves it
to the middle of its run in the database: the job running, 8 chunks completed (with the
PDF worker's metrics), 1 failed, 3 running part way, 2 queued, 6 pending.

With `--baseline-rev REV`, a second stack (its own database) runs REV's code, exported
with `git archive`; per level the two alternate (baseline, ours, baseline, ours, ...)
so drift of a shared machine hits both alike, and each round gives a ratio. Before
timing, both answer the same poll: their documents must be equal but for ids and
times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from bench.common import (
    PY_SPY_MISSING,
    BenchEnv,
    CpuMeter,
    RequestStats,
    bench_env,
    exported_revision,
    find_py_spy,
    machine_note,
    new_stack,
    now_text,
    percentile,
    py_spy_recording,
    ratio,
    register,
)
from bench.pipeline_pages import flowing_pdf
from tests.support.stack import REPO_ROOT, Stack

FULL = {"levels": [1, 10], "polls": 2000, "rounds": 2, "warmup": 200}
QUICK = {"levels": [1, 10], "polls": 200, "rounds": 1, "warmup": 50}
PAGES = 300

# The chunks' states mid-run, by index (20 chunks of 15 pages; parallelism 5).
COMPLETED = range(0, 8)
FAILED = (8,)
RUNNING = {9: 5, 10: 9, 11: 12}  # index -> pages done so far
QUEUED = (12, 13)
# A completed PDF chunk's metrics as its worker reports them (no LLM: zero calls).
CHUNK_METRICS = {"pages": 15, "gemini_api_calls": 0, "gemini_tokens_used": 0,
                 "ocr_pages": [], "empty_pages": [], "unread_scanned_pages": [], "items": 930}
# Fields that differ between two stacks' copies of the same job.
_VOLATILE = {"id", "uuid", "user_id", "created_at", "started_at", "updated_at",
             "finished_at", "processing_time_seconds", "celery_task_id"}


@dataclass
class System:
    name: str  # "baseline" or "ours"
    commit: str
    stack: Stack
    bench: BenchEnv
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def pids(self) -> dict[str, int]:
        return {p.name: p.popen.pid for p in self.stack.processes}


@dataclass(kw_only=True)
class RunStats(RequestStats):
    clients: int

    def summary(self) -> dict[str, Any]:
        return {**super().summary(),
                "cpu_ms_per_poll": {k: round(v, 3)
                                    for k, v in self.cpu_ms_per_request().items()}}


def _git_head() -> str:
    """This tree's commit, "+changes" when files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()

    return git("rev-parse", "HEAD") + ("+changes" if git("status", "--porcelain") else "")


@contextmanager
def running_system(name: str, *, root: Path, commit: str, pdf: bytes) -> Iterator[System]:
    """A gateway and job service run from `root`, with one user and the job mid-run."""
    with bench_env(f"poll-{name}", root=root) as bench:
        stack = new_stack(bench, root=root)
        try:
            stack.start_api()
            system = System(name=name, commit=commit, stack=stack, bench=bench)
            system.headers = register(stack.gateway_url)
            job_id = _start_pdf_job(stack.gateway_url, system.headers, pdf)
            _move_mid_run(bench, job_id)
            system.url = f"{stack.gateway_url}/api/v1/jobs/{job_id}"
            yield system
        finally:
            stack.stop_all()


def _start_pdf_job(base_url: str, headers: dict[str, str], pdf: bytes) -> int:
    files = {"pdf_file": ("book.pdf", pdf, "application/pdf")}
    with httpx.Client(base_url=base_url, timeout=60) as client:
        confirm = client.post("/api/v1/jobs/confirm", headers=headers, files=files)
        confirm.raise_for_status()
        job_id = int(confirm.json()["job_id"])
        start = client.post("/api/v1/process-pdf-async", headers=headers, files=files,
                            data={"job_id": str(job_id)})
        start.raise_for_status()
    return job_id


def _move_mid_run(bench: BenchEnv, job_id: int) -> None:
    """Chunks in each state a running job's chunks pass through (see the module doc)."""
    task_id = "(SELECT celery_task_id FROM job WHERE id = %(job)s) || '_c' || index || '_a1'"
    chunk = (f"UPDATE job_chunk SET status = %(status)s, units_done = %(done)s, "
             f"attempts = %(attempts)s, metrics = %(metrics)s, error = %(error)s, "
             f"error_type = %(error_type)s, task_id = coalesce(task_id, {task_id}) "
             "WHERE job_id = %(job)s AND index = %(index)s")
    with psycopg.connect(bench.sql_url()) as connection:
        total = connection.execute("SELECT count(*) FROM job_chunk WHERE job_id = %s",
                                   (job_id,)).fetchone()
        assert total is not None and total[0] == 20, f"expected 20 chunks, got {total}"
        connection.execute("UPDATE job SET status = 'running', attempts = 1, "
                           "progress_percent = 45 WHERE id = %s", (job_id,))
        rows = [{"index": i, "status": "completed", "done": 15, "attempts": 1,
                 "metrics": Jsonb(CHUNK_METRICS), "error": None, "error_type": None}
                for i in COMPLETED]
        rows += [{"index": i, "status": "failed", "done": 0, "attempts": 3,
                  "metrics": Jsonb({}), "error": "page 131 could not be read",
                  "error_type": "PROCESSING_FAILED"} for i in FAILED]
        rows += [{"index": i, "status": "running", "done": done, "attempts": 1,
                  "metrics": Jsonb({}), "error": None, "error_type": None}
                 for i, done in RUNNING.items()]
        rows += [{"index": i, "status": "queued", "done": 0, "attempts": 0,
                  "metrics": Jsonb({}), "error": None, "error_type": None} for i in QUEUED]
        connection.cursor().executemany(chunk, [{**row, "job": job_id} for row in rows])


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _VOLATILE}


def same_documents(systems: list[System]) -> dict[str, Any]:
    """Each system's poll answer; with two systems, whether they are equal but for ids and
    times (a difference is printed and fails the run)."""
    bodies = {}
    for system in systems:
        response = httpx.get(system.url, headers=system.headers, timeout=30)
        response.raise_for_status()
        bodies[system.name] = response.json()
    if len(systems) == 2:
        first, second = (_comparable(b) for b in bodies.values())
        if first != second:
            diff = {k: (first.get(k), second.get(k)) for k in first.keys() | second.keys()
                    if first.get(k) != second.get(k)}
            raise SystemExit(f"the two systems answer different documents: {diff}")
    return bodies


async def measure(system: System, *, clients: int, total: int) -> RunStats:
    """`total` polls from `clients` concurrent clients sharing one AsyncClient."""
    stats = RunStats(system=system.name, clients=clients, planned=total)
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=system.headers) as client:
        await asyncio.gather(*(client.get(system.url) for _ in range(clients)))  # connect
        counter = iter(range(total))

        async def client_loop() -> None:
            for _n in counter:  # shared: each poll is sent exactly once
                started = time.perf_counter()
                try:
                    status = str((await client.get(system.url)).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                statuses[status] += 1
                if status == "200":
                    stats.ok += 1
                    stats.latencies_ms.append((time.perf_counter() - started) * 1000)
                else:
                    stats.errors += 1

        pids = system.pids()
        meter = CpuMeter({"gateway": pids["gateway"], "jobs": pids["jobs"]},
                         system.bench.name)
        meter.start()
        started = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(clients)))
        stats.seconds = time.perf_counter() - started
        stats.cpu_s = meter.stop()
    stats.statuses = dict(statuses)
    return stats


def _print_run(stats: RunStats) -> None:
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in stats.cpu_ms_per_request().items())
    print(f"  c={stats.clients:<3} {stats.system:<8} {stats.rps:7.1f} polls/s "
          f"p50 {percentile(stats.latencies_ms, 50):6.2f} ms "
          f"p99 {percentile(stats.latencies_ms, 99):6.2f} ms errors {stats.errors} "
          f"cpu ms/poll: {cpu}", file=sys.stderr)


def run(*, quick: bool = False, baseline_rev: str | None = None, levels: list[int] | None = None,
        polls: int | None = None, rounds: int | None = None,
        profile_dir: Path | None = None) -> dict[str, Any]:
    plan = {**(QUICK if quick else FULL)}
    plan.update({k: v for k, v in (("levels", levels), ("polls", polls), ("rounds", rounds))
                 if v})
    pdf, _ = flowing_pdf(PAGES, exact=not quick)
    with ExitStack() as resources:
        systems = []
        if baseline_rev:
            root, commit = resources.enter_context(exported_revision(baseline_rev))
            systems.append(resources.enter_context(
                running_system("baseline", root=root, commit=commit, pdf=pdf)))
        systems.append(resources.enter_context(
            running_system("ours", root=REPO_ROOT, commit=_git_head(), pdf=pdf)))
        print(f"poll_cost: {[(s.name, s.commit[:8]) for s in systems]}, plan {plan}",
              file=sys.stderr)
        documents = same_documents(systems)
        for system in systems:
            asyncio.run(measure(system, clients=10, total=plan["warmup"]))
        runs: list[RunStats] = []
        for clients in plan["levels"]:
            for _round in range(plan["rounds"]):
                for system in systems:
                    stats = asyncio.run(measure(system, clients=clients, total=plan["polls"]))
                    _print_run(stats)
                    runs.append(stats)
        profile = _profile(systems, profile_dir) if profile_dir else None
    return {"benchmark": "poll_cost", "date": now_text(), "machine": machine_note(),
            "quick": quick, "plan": plan,
            "systems": {s.name: s.commit for s in systems},
            "document": documents["ours"], "runs": [r.summary() for r in runs],
            "levels": _levels(runs, plan["levels"]), "profile": profile}


def _levels(runs: list[RunStats], levels: list[int]) -> list[dict[str, Any]]:
    """Per level and system the medians of the rounds; per round, baseline / ours."""
    out = []
    for clients in levels:
        of_level = [r for r in runs if r.clients == clients]
        level: dict[str, Any] = {"clients": clients}
        for name in ("baseline", "ours"):
            mine = [r for r in of_level if r.system == name]
            if mine:
                level[name] = _medians(mine)
        baseline = [r for r in of_level if r.system == "baseline"]
        ours = [r for r in of_level if r.system == "ours"]
        if baseline:
            level["ratios"] = [_ratios(b, o) for b, o in zip(baseline, ours, strict=True)]
        out.append(level)
    return out


def _medians(runs: list[RunStats]) -> dict[str, Any]:
    keys = runs[0].cpu_s.keys()
    return {"rps": round(statistics.median(r.rps for r in runs), 1),
            "p50_ms": round(statistics.median(percentile(r.latencies_ms, 50) for r in runs), 2),
            "cpu_ms_per_poll": {k: round(statistics.median(r.cpu_ms_per_request()[k]
                                                           for r in runs), 3) for k in keys}}


def _ratios(baseline: RunStats, ours: RunStats) -> dict[str, float]:
    """How many times the baseline's CPU per poll ours spends less; throughput ours/baseline."""
    cpu_b, cpu_o = baseline.cpu_ms_per_request(), ours.cpu_ms_per_request()
    return {"rps": round(ratio(ours.rps, baseline.rps), 2),
            **{f"cpu_{k}": round(ratio(cpu_b[k], cpu_o[k]), 2)
               for k in ("gateway", "jobs", "postgres")}}


def _profile(systems: list[System], out: Path) -> dict[str, Any]:
    """One untimed pass per system at 10 clients under py-spy; collapsed stacks to `out`."""
    py_spy = find_py_spy()
    if py_spy is None:
        return {"error": PY_SPY_MISSING}
    files: dict[str, str] = {}
    for system in systems:
        pids = system.pids()
        with py_spy_recording(py_spy, {n: pids[n] for n in ("gateway", "jobs")}, out,
                              prefix=f"poll-{system.name}") as recorded:
            asyncio.run(measure(system, clients=10, total=2000))
        files.update({f"{system.name}-{k}": v for k, v in recorded.items()})
    return files


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['date']} · {result['machine']}",
             f"systems: {result['systems']}", "",
             "| clients | system | polls/s | p50 ms | CPU ms/poll: gateway | jobs | postgres |"
             " client |", "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for level in result["levels"]:
        for name in ("baseline", "ours"):
            if name in level:
                s, cpu = level[name], level[name]["cpu_ms_per_poll"]
                lines.append(f"| {level['clients']} | {name} | {s['rps']:.1f} | "
                             f"{s['p50_ms']:.2f} | {cpu['gateway']:.2f} | {cpu['jobs']:.2f} | "
                             f"{cpu['postgres']:.2f} | {cpu['bench-client']:.2f} |")
    if any("ratios" in level for level in result["levels"]):
        lines += ["", "Per round, baseline CPU / ours (x less) and ours / baseline polls/s:", "",
                  "| clients | gateway | jobs | postgres | polls/s |",
                  "| ---: | --- | --- | --- | --- |"]
        for level in result["levels"]:
            rounds = level["ratios"]
            cells = [", ".join(f"{r[key]:.2f}" for r in rounds)
                     for key in ("cpu_gateway", "cpu_jobs", "cpu_postgres", "rps")]
            lines.append(f"| {level['clients']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--baseline-rev", help="also measure this git revision's code")
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")],
                        help="concurrent clients per level, e.g. 1,10")
    parser.add_argument("--polls", type=int, help="polls per measured run")
    parser.add_argument("--rounds", type=int, help="measured runs per level and system")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles here")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, baseline_rev=args.baseline_rev, levels=args.levels,
                 polls=args.polls, rounds=args.rounds, profile_dir=args.profile)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
