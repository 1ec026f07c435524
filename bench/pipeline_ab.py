"""This tree's whole pipeline against another revision's, job by job on the same PDFs, in
one run: a change worth a few percent shows through the machine's drift.

    python -m bench.pipeline_ab --baseline-rev main~1
    python -m bench.pipeline_ab --baseline-rev REV --engine pdfium --pages 300,500
    python -m bench.pipeline_ab --baseline-rev REV --quick    # smoke run

Two stacks run side by side, each from its own tree on its own database (the baseline
from `git archive REV`). Every repetition runs each case once on each stack, back to
back, the order alternating, first with one worker per stack, then with two. Per case:
the medians, and baseline / ours per repetition, of
- the client's time (confirm, start, poll every 50 ms until completed, as
  `bench.pipeline_pages` runs a job), and
- the server's time, from the confirm to the last chunk's settle (the job's event log):
  the client's without the poll's phase, which alone spreads it by up to 50 ms.
Idle processes of the other stack cost nothing meanwhile. With the same code on both sides
(`--baseline-rev HEAD`, 7 repetitions) the medians came out 0.97-1.02x: a change under
about 5% does not show in one run (bench/RESULTS.md, session 17).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    bench_env,
    exported_revision,
    machine_note,
    median,
    new_stack,
    now_text,
    ratio,
    register,
)
from bench.pipeline_pages import ENGINES, WARM_PAGES, flowing_pdf, run_job
from tests.support.stack import REPO_ROOT, Stack

SIDES = ("baseline", "ours")


def _server_seconds(job: dict[str, Any]) -> float:
    """Confirm to the last chunk's settle."""
    return job["seconds"] - job["after_last_chunk_s"]


def run(*, baseline_rev: str, engines: tuple[str, ...] = ENGINES,
        sizes: tuple[int, ...] = (300,), repetitions: int = 7, quick: bool = False
        ) -> dict[str, Any]:
    sizes, repetitions = ((60,), 1) if quick else (sizes, repetitions)
    pdfs = {size: flowing_pdf(size, exact=not quick)[0] for size in sizes}
    warm_pdf = flowing_pdf(WARM_PAGES, exact=False)[0]
    cases = [(size, engine) for size in sizes for engine in engines]
    jobs: dict[tuple[str, int, str, int], list[dict[str, Any]]] = {}
    result: dict[str, Any] = {"benchmark": "pipeline_ab", "date": now_text(),
                              "machine": machine_note(), "repetitions": repetitions}
    with ExitStack() as exits:
        root, commit = exits.enter_context(exported_revision(baseline_rev))
        result["baseline_commit"] = commit
        roots = {"baseline": root, "ours": REPO_ROOT}
        stacks: dict[str, Stack] = {}
        clients: dict[str, tuple[httpx.Client, dict[str, str]]] = {}
        for side in SIDES:
            bench = exits.enter_context(bench_env(f"ab-{side}", root=roots[side]))
            stack = new_stack(bench, root=roots[side])
            exits.callback(stack.stop_all)
            stack.start_api()
            stack.start_beat()
            stack.start_worker(f"{side}-a", concurrency=1)
            stacks[side] = stack
            client = exits.enter_context(httpx.Client(base_url=stack.gateway_url, timeout=60))
            clients[side] = (client, register(stack.gateway_url))
        for workers in (1, 2):
            if workers == 2:
                for side in SIDES:
                    stacks[side].start_worker(f"{side}-b", concurrency=1)
            for side in SIDES:  # warm: connections, pool children, imports
                for engine in engines:
                    run_job(*clients[side], warm_pdf, engine)
            for rep in range(repetitions):
                order = SIDES if rep % 2 == 0 else SIDES[::-1]
                for size, engine in cases:
                    for side in order:
                        job = run_job(*clients[side], pdfs[size], engine)
                        jobs.setdefault((side, size, engine, workers), []).append(job)
                    pair = [jobs[side, size, engine, workers][-1] for side in SIDES]
                    print(f"  {workers} worker(s) rep {rep + 1} {size} {engine}: "
                          + "  ".join(f"{side} {job['seconds']:.3f} s "
                                      f"(server {_server_seconds(job):.3f})"
                                      for side, job in zip(SIDES, pair, strict=True)),
                          file=sys.stderr)
    result["cases"] = [_case(jobs, size, engine, workers)
                       for workers in (1, 2) for size, engine in cases]
    return result


def _case(jobs: dict[tuple[str, int, str, int], list[dict[str, Any]]], size: int,
          engine: str, workers: int) -> dict[str, Any]:
    runs = {side: jobs[side, size, engine, workers] for side in SIDES}
    case: dict[str, Any] = {"pages": size, "engine": engine, "workers": workers}
    for name, measure in (("client", lambda job: job["seconds"]), ("server", _server_seconds)):
        values = {side: [measure(job) for job in runs[side]] for side in SIDES}
        case[name] = {
            **{f"{side}_s": median(values[side]) for side in SIDES},
            "ratios": [ratio(b, o) for b, o in zip(values["baseline"], values["ours"],
                                                    strict=True)]}
    return case


def render(result: dict[str, Any]) -> str:
    lines = [f"baseline {result['baseline_commit'][:8]} vs ours, {result['repetitions']} "
             f"repetitions · {result['machine']}", "",
             "| pages | engine | workers | baseline s | ours s | baseline / ours (median) | "
             "server: baseline s | ours s | baseline / ours (median) | per repetition |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for case in result["cases"]:
        client, server = case["client"], case["server"]
        lines.append(
            f"| {case['pages']} | {case['engine']} | {case['workers']} | "
            f"{client['baseline_s']:.3f} | {client['ours_s']:.3f} | "
            f"{median(client['ratios']):.2f}x | {server['baseline_s']:.3f} | "
            f"{server['ours_s']:.3f} | {median(server['ratios']):.2f}x | "
            + ", ".join(f"{r:.2f}" for r in server["ratios"]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-rev", required=True, help="the git revision to compare")
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument("--pages", type=lambda v: tuple(int(x) for x in v.split(",")),
                        default=(300,), help="page counts, e.g. 300,500")
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    result = run(baseline_rev=args.baseline_rev, engines=engines, sizes=args.pages,
                 repetitions=args.repetitions, quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
