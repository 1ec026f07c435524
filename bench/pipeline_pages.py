"""Pages per second of PDFs through the whole pipeline, with one and with two PDF worker
processes, beside raw extraction of the same file by the same engine in this process
(pypdf `extract_text()`, or pypdfium2 `get_text_range()`).

    HTTP confirm -> process-pdf-async (text_engine) -> poll GET /api/v1/jobs/{id} every
    50 ms -> completed

    python -m bench.pipeline_pages                      # 30, 300, 500 pages; both engines
    python -m bench.pipeline_pages --engine pdfium      # one engine
    python -m bench.pipeline_pages --sizes 300          # only the targets' size
    python -m bench.pipeline_pages --quick              # smoke run: ~60 pages, 1 repetition
    python -m bench.pipeline_pages --profile /tmp/prof  # extra py-spy (or cProfile) pass

Each repetition measures, per size and engine: raw extraction, then ours with ONE worker
(`celery worker -c 1`); then a second `celery worker -c 1` process is started and every
size and engine runs with TWO workers. Medians (and min) over the repetitions.
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
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pypdfium2 as pdfium
from pypdf import PdfReader

from bench.common import (
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

POLL_SECONDS = 0.05
JOB_TIMEOUT_SECONDS = 300.0
SENTENCES_PER_PAGE = 62  # make_flowing_document at Helvetica 10 on A4, measured
FIRST_GUESS = {300: 18990}  # sentence counts known to give these page counts
ENGINES = ("pypdf", "pdfium")
TARGET_PAGES = 300
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


def _parse(ts: str | None) -> float | None:
    return datetime.fromisoformat(ts).timestamp() if ts else None


def run_job(client: httpx.Client, headers: dict[str, str], pdf: bytes,
            engine: str = "pypdf") -> dict[str, Any]:
    """One job end to end; wall seconds plus a breakdown from the job's event log."""
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
    while time.perf_counter() < deadline:
        body = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        polls += 1
        if body["status"] in ("completed", "failed", "cancelled"):
            break
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


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": median(values), "min": min(values), "runs": values}


def run(*, quick: bool = False, repetitions: int | None = None,
        engines: tuple[str, ...] = ENGINES, sizes: tuple[int, ...] = (30, TARGET_PAGES, 500),
        profile_dir: Path | None = None) -> dict[str, Any]:
    sizes = (60,) if quick else sizes
    repetitions = repetitions or (1 if quick else 3)
    pdfs = {size: flowing_pdf(size, exact=not quick)[0] for size in sizes}
    cases = [(size, engine) for size in sizes for engine in engines]
    raw: dict[tuple[int, str], list[float]] = {case: [] for case in cases}
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
            print(f"pipeline: sizes {sizes}, engines {engines}, {repetitions} repetition(s)",
                  file=sys.stderr)
            with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
                for engine in engines:  # warm-up: connections, worker child, imports
                    warm = run_job(client, headers, pdfs[sizes[0]], engine)
                    print(f"  warm-up {engine}: {warm['seconds']:.2f} s", file=sys.stderr)
                for rep in range(repetitions):
                    for size, engine in cases:
                        raw[size, engine].append(raw_extract(paths[size], engine)[0])
                        one[size, engine].append(run_job(client, headers, pdfs[size], engine))
                    worker_b = stack.start_worker("worker-b", concurrency=1)
                    try:
                        for size, engine in cases:
                            two[size, engine].append(
                                run_job(client, headers, pdfs[size], engine))
                    finally:
                        _stop(stack, worker_b)
                    for size, engine in cases:
                        print(f"  rep {rep + 1} {size:>3} pages {engine:<6}: raw "
                              f"{raw[size, engine][-1]:.3f} s  one worker "
                              f"{one[size, engine][-1]['seconds']:.3f} s  two workers "
                              f"{two[size, engine][-1]['seconds']:.3f} s", file=sys.stderr)
                profile = (_profile(stack, worker_a, client, headers, pdfs[sizes[-1]],
                                    profile_dir) if profile_dir else None)
        finally:
            stack.stop_all()
    rows = [_case_result(size, engine, raw=raw[size, engine], one=one[size, engine],
                         two=two[size, engine]) for size, engine in cases]
    return {"benchmark": "pipeline_pages", "date": now_text(), "machine": machine_note(),
            "quick": quick, "repetitions": repetitions, "cases": rows, "profile": profile}


def _case_result(pages: int, engine: str, *, raw: list[float], one: list[dict[str, Any]],
                 two: list[dict[str, Any]]) -> dict[str, Any]:
    raw_s = _summary(raw)
    one_s = _summary([r["seconds"] for r in one])
    two_s = _summary([r["seconds"] for r in two])
    return {"pages": pages, "engine": engine, "raw_s": raw_s, "one_worker_s": one_s,
            "two_workers_s": two_s,
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
             pdf: bytes, out: Path) -> dict[str, Any]:
    """One extra one-worker job under py-spy (worker incl. its pool child, gateway, jobs);
    without py-spy, one job per engine on a solo-pool worker under cProfile instead."""
    py_spy = find_py_spy()
    if py_spy is None:
        return _cprofile(stack, worker, client, headers, pdf, out)
    targets = {"worker": worker.popen.pid,
               **{p.name: p.popen.pid for p in stack.processes if p.name in ("gateway", "jobs")}}
    with py_spy_recording(py_spy, targets, out, prefix="pipeline",
                          with_children={"worker"}) as files:
        job = run_job(client, headers, pdf)
    return {"files": files, "seconds_under_profiler": job["seconds"]}


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
    lines = ["| pages | engine | raw s | one worker s | two workers s | raw pages/s | "
             "one worker pages/s | two workers pages/s | one / raw | two over one |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for case in result["cases"]:
        lines.append(
            f"| {case['pages']} | {case['engine']} | {case['raw_s']['median']:.3f} | "
            f"{case['one_worker_s']['median']:.3f} | {case['two_workers_s']['median']:.3f} | "
            f"{case['raw_pages_per_s']:.0f} | {case['one_worker_pages_per_s']:.0f} | "
            f"{case['two_workers_pages_per_s']:.0f} | {case['one_worker_over_raw']:.2f}x | "
            f"{case['two_worker_speedup']:.2f}x |")
    lines.append("")
    for case in result["cases"]:
        if case["pages"] != TARGET_PAGES or case["engine"] not in TARGETS:
            continue
        most, least = TARGETS[case["engine"]]
        lines.append(f"- {case['engine']}, {TARGET_PAGES} pages: one worker / raw "
                     f"**{case['one_worker_over_raw']:.2f}x** (target <= {most}); two "
                     f"workers over one **{case['two_worker_speedup']:.2f}x** "
                     f"(target >= {least})")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repetitions", type=int, help="override the repetition count")
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both",
                        help="the text engine (default: both, in one run)")
    parser.add_argument("--sizes", type=lambda v: tuple(int(x) for x in v.split(",")),
                        default=(30, TARGET_PAGES, 500), help="page counts, e.g. 30,300,500")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles here")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    result = run(quick=args.quick, repetitions=args.repetitions, engines=engines,
                 sizes=args.sizes, profile_dir=args.profile)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
