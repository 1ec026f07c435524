"""Pages per second of a 300-page PDF through the whole pipeline, with one and with two PDF
worker processes, beside raw pypdf `extract_text()` of the same file in this process.

    HTTP confirm -> process-pdf-async -> poll GET /api/v1/jobs/{id} every 50 ms -> completed

    python -m bench.pipeline_pages              # full: 300 pages, 3 repetitions
    python -m bench.pipeline_pages --quick      # smoke run: ~60 pages, 1 repetition
    python -m bench.pipeline_pages --profile /tmp/prof   # extra py-spy pass (not timed)

Each repetition measures, in this order: raw pypdf, ours with ONE worker (`celery worker
-c 1`), ours with TWO workers (a second `celery worker -c 1` process started for it and
stopped after it). The median (and min) of each is reported.
Targets (the issue): one worker <= 1.3x raw time; two workers >= 1.7x faster than one.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pypdf import PdfReader

from bench.common import (
    PY_SPY_MISSING,
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
from tests.support.stack import Process, Stack

POLL_SECONDS = 0.05
JOB_TIMEOUT_SECONDS = 300.0
SENTENCES_PER_PAGE = 62  # make_flowing_document at Helvetica 10 on A4, measured
FIRST_GUESS = {300: 18990}  # sentence counts known to give these page counts


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


def raw_extract(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    reader = PdfReader(path, strict=False)
    chars = sum(len(page.extract_text() or "") for page in reader.pages)
    return time.perf_counter() - started, chars


def _parse(ts: str | None) -> float | None:
    return datetime.fromisoformat(ts).timestamp() if ts else None


def run_job(client: httpx.Client, headers: dict[str, str], pdf: bytes) -> dict[str, Any]:
    """One job end to end; wall seconds plus a breakdown from the job's event log."""
    files = {"pdf_file": ("book.pdf", pdf, "application/pdf")}
    wall0, t0 = time.time(), time.perf_counter()
    confirm = client.post("/api/v1/jobs/confirm", headers=headers, files=files)
    confirm.raise_for_status()
    job_id = confirm.json()["job_id"]
    t_confirm = time.perf_counter()
    start = client.post("/api/v1/process-pdf-async", headers=headers, files=files,
                        data={"job_id": str(job_id)})
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
    return {"job_id": job_id, "seconds": t_end - t0, "confirm_s": t_confirm - t0,
            "start_s": t_start - t_confirm, "polls": polls,
            "sentences": (body.get("result") or {}).get("sentence_count")
            or (body.get("result") or {}).get("item_count"),
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
        profile_dir: Path | None = None) -> dict[str, Any]:
    pages_wanted = 60 if quick else 300
    repetitions = repetitions or (1 if quick else 3)
    pdf, sentence_count = flowing_pdf(pages_wanted, exact=not quick)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    with bench_env("pipeline") as bench:
        pdf_path = bench.data_dir / "book.pdf"
        pdf_path.write_bytes(pdf)
        stack = new_stack(bench)
        try:
            stack.start_api()
            stack.start_beat()
            worker_a = stack.start_worker("worker-a", concurrency=1)
            headers = register(stack.gateway_url)
            print(f"pipeline: {pages} pages, {len(pdf)} bytes, {sentence_count} sentences, "
                  f"{repetitions} repetition(s)", file=sys.stderr)
            with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
                warm = run_job(client, headers, pdf)  # warm-up: connections, worker child
                print(f"  warm-up: {warm['seconds']:.2f} s", file=sys.stderr)
                raw, one, two = [], [], []
                for rep in range(repetitions):
                    seconds, chars = raw_extract(pdf_path)
                    raw.append(seconds)
                    one.append(run_job(client, headers, pdf))
                    worker_b = stack.start_worker("worker-b", concurrency=1)
                    try:
                        two.append(run_job(client, headers, pdf))
                    finally:
                        _stop(stack, worker_b)
                    print(f"  rep {rep + 1}: raw {seconds:.2f} s  one worker "
                          f"{one[-1]['seconds']:.2f} s  two workers {two[-1]['seconds']:.2f} s",
                          file=sys.stderr)
                profile = (_profile(stack, worker_a, client, headers, pdf, profile_dir)
                           if profile_dir else None)
        finally:
            stack.stop_all()
    raw_s = _summary(raw)
    one_s = _summary([r["seconds"] for r in one])
    two_s = _summary([r["seconds"] for r in two])
    return {
        "benchmark": "pipeline_pages", "date": now_text(), "machine": machine_note(),
        "quick": quick, "pages": pages, "pdf_bytes": len(pdf), "sentences": sentence_count,
        "raw_chars": chars, "raw_s": raw_s, "one_worker_s": one_s, "two_workers_s": two_s,
        "raw_pages_per_s": pages / raw_s["median"],
        "one_worker_pages_per_s": pages / one_s["median"],
        "two_workers_pages_per_s": pages / two_s["median"],
        "one_worker_over_raw": ratio(one_s["median"], raw_s["median"]),
        "two_worker_speedup": ratio(one_s["median"], two_s["median"]),
        "one_worker_runs": one, "two_worker_runs": two, "profile": profile}


def _stop(stack: Stack, process: Process) -> None:
    process.stop()
    stack.processes.remove(process)


def _profile(stack: Stack, worker: Process, client: httpx.Client, headers: dict[str, str],
             pdf: bytes, out: Path) -> dict[str, Any]:
    """One extra one-worker job under py-spy (worker incl. its pool child, gateway, jobs)."""
    py_spy = find_py_spy()
    if py_spy is None:
        return {"error": PY_SPY_MISSING}
    targets = {"worker": worker.popen.pid,
               **{p.name: p.popen.pid for p in stack.processes if p.name in ("gateway", "jobs")}}
    with py_spy_recording(py_spy, targets, out, prefix="pipeline",
                          with_children={"worker"}) as files:
        job = run_job(client, headers, pdf)
    return {"files": files, "seconds_under_profiler": job["seconds"]}


def render(result: dict[str, Any]) -> str:
    pages = result["pages"]
    rows = [("raw pypdf extract_text (bench process)", result["raw_s"], None),
            ("ours, one worker (-c 1)", result["one_worker_s"], result["one_worker_over_raw"]),
            ("ours, two workers (2 x -c 1)", result["two_workers_s"], None)]
    lines = [f"| {pages} pages | median s | min s | pages/s (median) | vs raw |",
             "| --- | ---: | ---: | ---: | ---: |"]
    raw_median = result["raw_s"]["median"]
    for label, s, _ in rows:
        lines.append(f"| {label} | {s['median']:.2f} | {s['min']:.2f} | "
                     f"{pages / s['median']:.1f} | {ratio(s['median'], raw_median):.2f}x |")
    lines += ["",
              f"- one worker / raw time: **{result['one_worker_over_raw']:.2f}x** (target <= 1.3)",
              f"- two workers speed-up over one: **{result['two_worker_speedup']:.2f}x** "
              "(target >= 1.7)"]
    lines += ["", "| run | total s | confirm s | start s | until 1st claim s | span s | "
              "chunk busy s | after last chunk s | polls |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, runs in (("1 worker", result["one_worker_runs"]),
                        ("2 workers", result["two_worker_runs"])):
        for r in runs:
            lines.append(
                f"| {label} | {r['seconds']:.2f} | {r['confirm_s']:.3f} | {r['start_s']:.3f} | "
                f"{r.get('until_first_claim_s', float('nan')):.3f} | "
                f"{r.get('processing_span_s', float('nan')):.2f} | "
                f"{r.get('chunk_busy_s', float('nan')):.2f} | "
                f"{r.get('after_last_chunk_s', float('nan')):.3f} | {r['polls']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repetitions", type=int, help="override the repetition count")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles here")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, repetitions=args.repetitions, profile_dir=args.profile)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
