"""Pages per second of PDFs through the whole pipeline, with one and with two PDF worker
processes, beside raw extraction of the same file by the same engine in this process
(pypdf `extract_text()`, or pypdfium2 `get_text_range()`).

    HTTP confirm -> process-pdf-async (text_engine) -> GET /api/v1/jobs/{id}?wait_seconds=30
    (a long poll: answered the moment the job ends) -> completed

    python -m bench.pipeline_pages --wait poll          # poll GET /api/v1/jobs/{id} every 50 ms

    python -m bench.pipeline_pages                      # 30, 300, 500 pages; both engines
    python -m bench.pipeline_pages --engine pdfium      # one engine
    python -m bench.pipeline_pages --sizes 300          # only the targets' size
    python -m bench.pipeline_pages --quick              # smoke run: ~60 pages, 1 repetition
    python -m bench.pipeline_pages --profile /tmp/prof  # extra py-spy (or cProfile) pass

Each repetition measures, per size and engine: raw extraction, then ours with ONE worker
(`celery worker -c 1`); then a second `celery worker -c 1` process is started, warmed up
by WARM_B_JOBS jobs of the largest size per engine, and every size and engine runs with
TWO workers. Medians (and min) over the repetitions. Each job also records the CPU seconds
each process spent while it ran (gateway, job service, beat, workers with their pool
children, the bench database's Postgres backends, this client).

The machine's own ceiling for two processes, measured in the same repetition: raw
extraction of the file in two processes at once, its throughput over one alone. Two
workers cannot scale better than the machine does for the same work; the report gives
both, and their quotient (the pipeline's scaling efficiency).
Targets (issue 22), at 300 pages, each a ratio within the same run:
  pypdf:  one worker <= 1.2x raw time; two workers >= 1.7x faster than one.
  pdfium: one worker <= 1.5x raw time; two workers >= 1.6x faster than one.
"""

from __future__ import annotations

import argparse
import io
import json
import pstats
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pypdfium2 as pdfium
from pypdf import PdfReader

from bench.common import (
    CpuMeter,
    bench_env,
    find_py_spy,
    machine_note,
    median,
    new_stack,
    now_text,
    py_spy_recording,
    ratio,
    register,
)
from tests.support.pdfs import make_flowing_document
from tests.support.stack import Process, Stack, wait_log

POLL_SECONDS = 0.05  # --wait poll
LONG_POLL_SECONDS = 30
ENDED = ("completed", "failed", "cancelled")
JOB_TIMEOUT_SECONDS = 300.0
SENTENCES_PER_PAGE = 62  # make_flowing_document at Helvetica 10 on A4, measured
FIRST_GUESS = {300: 18990}  # sentence counts known to give these page counts
ENGINES = ("pypdf", "pdfium")
TARGET_PAGES = 300
WARM_PAGES = 50  # three 20-page chunks
# Jobs of the largest size per engine that the second worker runs before it is measured.
# With one, it was measurably colder than the first worker, which ran every job before
# (PDFium, 300 pages, two over one: 1.59x and 1.58x with one, 1.67x and 1.69x with three,
# runs alternating; bench/RESULTS.md, session 22): a 300-page PDFium job gives it some ten
# chunks and a handful of records, about the five runs after which psycopg prepares a
# statement on a connection.
WARM_B_JOBS = 3
# Per engine: (one worker / raw time at most, two workers' speed-up over one at least).
TARGETS = {"pypdf": (1.2, 1.7), "pdfium": (1.5, 1.6)}


def flowing_pdf(pages: int, *, exact: bool) -> tuple[bytes, int]:
    """A flowing-text PDF of `pages` pages (cached in the temp dir; generating takes ~35 s)."""
    count = FIRST_GUESS.get(pages, pages * SENTENCES_PER_PAGE)
    for _attempt in range(6):
        cache = Path(tempfile.gettempdir()) / f"conveyor-bench-flowing-{count}.pdf"
        if cache.exists():
            pdf = cache.read_bytes()
        else:
            pdf, _ = make_flowing_document(count)
            cache.write_bytes(pdf)
        got = len(PdfReader(io.BytesIO(pdf)).pages)
        if got == pages or not exact:
            return pdf, count
        count += (pages - got) * SENTENCES_PER_PAGE - (SENTENCES_PER_PAGE // 2
                                                       if got > pages else 0)
    raise RuntimeError(f"could not size a flowing document to {pages} pages")


def raw_extract(path: Path, engine: str = "pypdf") -> tuple[float, int]:
    """Open the file and read every page's text with `engine`: seconds, characters."""
    started = time.perf_counter()
    if engine == "pdfium":
        document = pdfium.PdfDocument(str(path))
        chars = 0
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
        document.close()
    else:
        reader = PdfReader(path, strict=False)
        chars = sum(len(page.extract_text() or "") for page in reader.pages)
    return time.perf_counter() - started, chars


def raw_two_at_once(pool: ProcessPoolExecutor, path: Path, engine: str) -> float:
    """Wall seconds for two processes extracting the file at once (the pool's two workers
    are started and warm)."""
    started = time.perf_counter()
    list(pool.map(raw_extract, [path, path], [engine, engine]))
    return time.perf_counter() - started


def _parse(ts: str | None) -> float | None:
    return datetime.fromisoformat(ts).timestamp() if ts else None


def run_job(client: httpx.Client, headers: dict[str, str], pdf: bytes,
            engine: str = "pypdf", *, long_poll: bool = False) -> dict[str, Any]:
    """One job end to end; wall seconds plus a breakdown from the job's event log.
    `long_poll`: wait for the end with `?wait_seconds`, else poll every POLL_SECONDS."""
    files = {"pdf_file": ("book.pdf", pdf, "application/pdf")}
    wall0, t0 = time.time(), time.perf_counter()
    confirm = client.post("/api/v1/jobs/confirm", headers=headers, files=files)
    confirm.raise_for_status()
    job_id = confirm.json()["job_id"]
    t_confirm = time.perf_counter()
    start = client.post("/api/v1/process-pdf-async", headers=headers, files=files,
                        data={"job_id": str(job_id), "text_engine": engine})
    start.raise_for_status()
    t_start = time.perf_counter()
    polls, body = 0, {}
    deadline = t_start + JOB_TIMEOUT_SECONDS
    wait = {"wait_seconds": LONG_POLL_SECONDS} if long_poll else None
    while time.perf_counter() < deadline:
        body = client.get(f"/api/v1/jobs/{job_id}", headers=headers, params=wait).json()
        polls += 1
        if body["status"] in ENDED:
            break
        if not long_poll:
            time.sleep(POLL_SECONDS)
    t_end = time.perf_counter()
    if body.get("status") != "completed":
        raise RuntimeError(f"job {job_id} ended {body.get('status')}: {body.get('error')}")
    events = client.get(f"/api/v1/jobs/{job_id}/events", headers=headers,
                        params={"limit": 1000}).json()["events"]
    if (body.get("result") or {}).get("text_engine", engine) != engine:
        raise RuntimeError(f"job {job_id} was read by {body['result']['text_engine']}")
    return {"job_id": job_id, "seconds": t_end - t0, "confirm_s": t_confirm - t0,
            "start_s": t_start - t_confirm, "polls": polls,
            "sentences": (body.get("result") or {}).get("sentence_count")
            or (body.get("result") or {}).get("item_count"),
            "events": len(events),
            "step_events": sum(e["event_type"] == "step" for e in events),
            **_breakdown(events, wall0=wall0, wall_end=wall0 + (t_end - t0))}


def _breakdown(events: list[dict[str, Any]], *, wall0: float, wall_end: float
               ) -> dict[str, Any]:
    """Where the wall time went, from server-side event timestamps (same machine clock)."""
    started: dict[int, float] = {}
    busy = 0.0
    first_attempt = last_done = None
    for event in events:
        at = _parse(event["created_at"])
        if at is None:
            continue
        if event["event_type"] == "attempt":
            started[event["chunk_index"]] = at
            first_attempt = at if first_attempt is None else min(first_attempt, at)
        elif event["event_type"] == "chunk" and event["to_status"] == "completed":
            begin = started.get(event["chunk_index"])
            if begin is not None:
                busy += at - begin
            last_done = at if last_done is None else max(last_done, at)
    if first_attempt is None or last_done is None:
        return {}
    return {"chunks": len(started), "until_first_claim_s": first_attempt - wall0,
            "processing_span_s": last_done - first_attempt, "chunk_busy_s": busy,
            "after_last_chunk_s": wall_end - last_done}


def metered_job(meter: CpuMeter, client: httpx.Client, headers: dict[str, str], pdf: bytes,
                engine: str, *, long_poll: bool) -> dict[str, Any]:
    """`run_job`, with the CPU seconds each process spent meanwhile."""
    meter.start()
    job = run_job(client, headers, pdf, engine, long_poll=long_poll)
    return {**job, "cpu_s": meter.stop()}


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": median(values), "min": min(values), "runs": values}


def run(*, quick: bool = False, repetitions: int | None = None,
        engines: tuple[str, ...] = ENGINES, sizes: tuple[int, ...] = (30, TARGET_PAGES, 500),
        profile_dir: Path | None = None, long_poll: bool = True) -> dict[str, Any]:
    sizes = (60,) if quick else sizes
    repetitions = repetitions or (1 if quick else 3)
    pdfs = {size: flowing_pdf(size, exact=not quick)[0] for size in sizes}
    warm_pdf = flowing_pdf(WARM_PAGES, exact=False)[0]  # worker A's first job
    cases = [(size, engine) for size in sizes for engine in engines]
    raw: dict[tuple[int, str], list[float]] = {case: [] for case in cases}
    raw_two: dict[tuple[int, str], list[float]] = {case: [] for case in cases}
    one: dict[tuple[int, str], list[dict[str, Any]]] = {case: [] for case in cases}
    two: dict[tuple[int, str], list[dict[str, Any]]] = {case: [] for case in cases}
    with bench_env("pipeline") as bench:
        paths = {}
        for size, pdf in pdfs.items():
            paths[size] = bench.data_dir / f"book-{size}.pdf"
            paths[size].write_bytes(pdf)
        stack = new_stack(bench)
        try:
            stack.start_api()
            stack.start_beat()
            worker_a = stack.start_worker("worker-a", concurrency=1)
            headers = register(stack.gateway_url)
            print(f"pipeline: sizes {sizes}, engines {engines}, {repetitions} repetition(s), "
                  f"{'long poll' if long_poll else f'{POLL_SECONDS * 1000:.0f} ms poll'}",
                  file=sys.stderr)
            pids = {p.name: p.popen.pid for p in stack.processes}
            with httpx.Client(base_url=stack.gateway_url, timeout=60) as client, \
                    ProcessPoolExecutor(2) as pool:
                for engine in engines:  # warm-up: connections, worker child, imports
                    warm = run_job(client, headers, warm_pdf, engine, long_poll=long_poll)
                    raw_two_at_once(pool, paths[sizes[0]], engine)
                    print(f"  warm-up {engine}: {warm['seconds']:.2f} s", file=sys.stderr)
                for rep in range(repetitions):
                    meter = CpuMeter(pids, bench.name, trees=["worker-a"])
                    for size, engine in cases:
                        raw[size, engine].append(raw_extract(paths[size], engine)[0])
                        raw_two[size, engine].append(
                            raw_two_at_once(pool, paths[size], engine))
                        one[size, engine].append(metered_job(
                            meter, client, headers, pdfs[size], engine, long_poll=long_poll))
                    worker_b = stack.start_worker("worker-b", concurrency=1)
                    # As warm as worker A, which ran every job before: a new process's
                    # first chunks and settles run cold (SQLAlchemy compiles statements,
                    # psycopg prepares them per connection after five runs).
                    for _ in range(WARM_B_JOBS):
                        for engine in engines:
                            run_job(client, headers, pdfs[max(sizes)], engine,
                                    long_poll=long_poll)
                    meter = CpuMeter({**pids, "worker-b": worker_b.popen.pid}, bench.name,
                                     trees=["worker-a", "worker-b"])
                    try:
                        for size, engine in cases:
                            two[size, engine].append(metered_job(
                                meter, client, headers, pdfs[size], engine,
                                long_poll=long_poll))
                    finally:
                        _stop(stack, worker_b)
                    for size, engine in cases:
                        print(f"  rep {rep + 1} {size:>3} pages {engine:<6}: raw "
                              f"{raw[size, engine][-1]:.3f} s (two at once "
                              f"{raw_two[size, engine][-1]:.3f} s)  one worker "
                              f"{one[size, engine][-1]['seconds']:.3f} s  two workers "
                              f"{two[size, engine][-1]['seconds']:.3f} s", file=sys.stderr)
                profile = (_profile(stack, worker_a, client, headers, pdfs[sizes[-1]],
                                    profile_dir, engines) if profile_dir else None)
        finally:
            stack.stop_all()
    rows = [_case_result(size, engine, raw=raw[size, engine], raw_two=raw_two[size, engine],
                         one=one[size, engine], two=two[size, engine])
            for size, engine in cases]
    return {"benchmark": "pipeline_pages", "date": now_text(), "machine": machine_note(),
            "quick": quick, "wait": "long poll" if long_poll else "poll",
            "repetitions": repetitions, "cases": rows, "profile": profile}


def _case_result(pages: int, engine: str, *, raw: list[float], raw_two: list[float],
                 one: list[dict[str, Any]], two: list[dict[str, Any]]) -> dict[str, Any]:
    raw_s = _summary(raw)
    one_s = _summary([r["seconds"] for r in one])
    two_s = _summary([r["seconds"] for r in two])
    # Per repetition, as each run's figures are only comparable within it.
    ceilings = [2 * solo / both for solo, both in zip(raw, raw_two, strict=True)]
    speedups = [a["seconds"] / b["seconds"] for a, b in zip(one, two, strict=True)]
    return {"pages": pages, "engine": engine, "raw_s": raw_s, "one_worker_s": one_s,
            "two_workers_s": two_s, "raw_two_at_once_s": _summary(raw_two),
            "two_process_ceiling": _summary(ceilings),
            "scaling_efficiency": _summary([s / c for s, c in
                                            zip(speedups, ceilings, strict=True)]),
            "raw_pages_per_s": pages / raw_s["median"],
            "one_worker_pages_per_s": pages / one_s["median"],
            "two_workers_pages_per_s": pages / two_s["median"],
            "one_worker_over_raw": ratio(one_s["median"], raw_s["median"]),
            "two_worker_speedup": ratio(one_s["median"], two_s["median"]),
            "one_worker_runs": one, "two_worker_runs": two}


def _stop(stack: Stack, process: Process) -> None:
    process.stop()
    stack.processes.remove(process)


def _profile(stack: Stack, worker: Process, client: httpx.Client, headers: dict[str, str],
             pdf: bytes, out: Path, engines: tuple[str, ...]) -> dict[str, Any]:
    """Extra one-worker jobs, three per engine, under py-spy (worker incl. its pool
    child, gateway, jobs; one set of files per engine); without py-spy, one job per engine
    on a solo-pool worker under cProfile instead."""
    py_spy = find_py_spy()
    if py_spy is None:
        return _cprofile(stack, worker, client, headers, pdf, out)
    targets = {"worker": worker.popen.pid,
               **{p.name: p.popen.pid for p in stack.processes if p.name in ("gateway", "jobs")}}
    result: dict[str, Any] = {}
    for engine in engines:
        with py_spy_recording(py_spy, targets, out, prefix=f"pipeline-{engine}",
                              with_children={"worker"}) as files:
            seconds = [run_job(client, headers, pdf, engine)["seconds"] for _ in range(3)]
        result[engine] = {"files": files, "seconds_under_profiler": seconds}
    return result


def _cprofile(stack: Stack, worker: Process, client: httpx.Client, headers: dict[str, str],
              pdf: bytes, out: Path) -> dict[str, Any]:
    """The worker replaced by `celery worker -P solo` (the task runs in the process that
    fetches it) under cProfile; the stats are written when it stops (SIGTERM)."""
    out.mkdir(parents=True, exist_ok=True)
    _stop(stack, worker)
    stats = out / "pipeline-worker.prof"
    argv = [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "celery", "-A",
            "services.workers.pdf.app", "worker", "-Q", "pdf", "-P", "solo",
            "-n", "profiled@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    profiled = stack.spawn("worker-profiled", argv)
    wait_log(profiled, "ready")
    seconds = {engine: run_job(client, headers, pdf, engine)["seconds"] for engine in ENGINES}
    _stop(stack, profiled)
    top = io.StringIO()
    pstats.Stats(str(stats), stream=top).sort_stats("cumulative").print_stats(40)
    (out / "pipeline-worker.txt").write_text(top.getvalue())
    return {"files": {"worker": str(stats)}, "seconds_under_profiler": seconds}


def render(result: dict[str, Any]) -> str:
    lines = [f"Done seen by: {result.get('wait', 'poll')}.", "",
             "| pages | engine | raw s | one worker s | two workers s | raw pages/s | "
             "one worker pages/s | two workers pages/s | one / raw | two over one | "
             "raw two processes over one | efficiency |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for case in result["cases"]:
        lines.append(
            f"| {case['pages']} | {case['engine']} | {case['raw_s']['median']:.3f} | "
            f"{case['one_worker_s']['median']:.3f} | {case['two_workers_s']['median']:.3f} | "
            f"{case['raw_pages_per_s']:.0f} | {case['one_worker_pages_per_s']:.0f} | "
            f"{case['two_workers_pages_per_s']:.0f} | {case['one_worker_over_raw']:.2f}x | "
            f"{case['two_worker_speedup']:.2f}x | "
            f"{case['two_process_ceiling']['median']:.2f}x | "
            f"{case['scaling_efficiency']['median']:.0%} |")
    lines.append("")
    for case in result["cases"]:
        if case["pages"] != TARGET_PAGES or case["engine"] not in TARGETS:
            continue
        most, least = TARGETS[case["engine"]]
        lines.append(f"- {case['engine']}, {TARGET_PAGES} pages: one worker / raw "
                     f"**{case['one_worker_over_raw']:.2f}x** (target <= {most}); two "
                     f"workers over one **{case['two_worker_speedup']:.2f}x** "
                     f"(target >= {least})")
    lines += ["", *_cpu_table(result["cases"])]
    lines += ["", "| case | run | total s | until 1st claim s | span s | chunk busy s | "
              "after last chunk s | chunks | step events | polls |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for case in result["cases"]:
        label = f"{case['pages']} {case['engine']}"
        for workers, runs in (("1 worker", case["one_worker_runs"]),
                              ("2 workers", case["two_worker_runs"])):
            for r in runs:
                lines.append(
                    f"| {label} | {workers} | {r['seconds']:.3f} | "
                    f"{r.get('until_first_claim_s', float('nan')):.3f} | "
                    f"{r.get('processing_span_s', float('nan')):.3f} | "
                    f"{r.get('chunk_busy_s', float('nan')):.3f} | "
                    f"{r.get('after_last_chunk_s', float('nan')):.3f} | "
                    f"{r.get('chunks', 0)} | {r['step_events']} | {r['polls']} |")
    return "\n".join(lines)


def _cpu_table(cases: list[dict[str, Any]]) -> list[str]:
    """CPU seconds per job by process (medians over the repetitions)."""
    names = ["workers", "postgres", "gateway", "jobs", "beat", "bench-client"]
    lines = ["| case | run | " + " | ".join(f"{name} CPU s" for name in names)
             + " | all CPU s | wall s |", "| --- | --- |" + " ---: |" * (len(names) + 2)]
    for case in cases:
        for workers, runs in (("1 worker", case["one_worker_runs"]),
                              ("2 workers", case["two_worker_runs"])):
            used = [_cpu_by_role(run["cpu_s"]) for run in runs if "cpu_s" in run]
            if not used:
                continue
            cells = [median([u.get(name, 0.0) for u in used]) for name in names]
            lines.append(f"| {case['pages']} {case['engine']} | {workers} | "
                         + " | ".join(f"{cell:.3f}" for cell in cells)
                         + f" | {median([sum(u.values()) for u in used]):.3f} | "
                         f"{median([run['seconds'] for run in runs]):.3f} |")
    return lines


def _cpu_by_role(cpu_s: dict[str, float]) -> dict[str, float]:
    workers = sum(v for k, v in cpu_s.items() if k.startswith("worker-"))
    return {"workers": workers, **{k: v for k, v in cpu_s.items()
                                   if not k.startswith("worker-")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repetitions", type=int, help="override the repetition count")
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both",
                        help="the text engine (default: both, in one run)")
    parser.add_argument("--sizes", type=lambda v: tuple(int(x) for x in v.split(",")),
                        default=(30, TARGET_PAGES, 500), help="page counts, e.g. 30,300,500")
    parser.add_argument("--wait", choices=["long-poll", "poll"], default="long-poll",
                        help="how the client learns the job ended: ?wait_seconds (default) "
                             f"or a poll every {POLL_SECONDS * 1000:.0f} ms")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles here")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    result = run(quick=args.quick, repetitions=args.repetitions, engines=engines,
                 sizes=args.sizes, profile_dir=args.profile,
                 long_poll=args.wait == "long-poll")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
