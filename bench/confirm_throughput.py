"""Accepted jobs per second and p50/p99 latency of `POST /api/v1/jobs/confirm` through the
real gateway -> job service -> Postgres, beside the naive floor (`bench/naive_app.py`)
measured in the same run, at 1, 10 and 50 concurrent clients.

    python -m bench.confirm_throughput            # full: 300/1000/2000 requests per level
    python -m bench.confirm_throughput --quick    # smoke run
    python -m bench.confirm_throughput --profile /tmp/prof   # extra py-spy pass (not timed)
    python -m bench.confirm_throughput --hop-floor  # also the floor plus one bare HTTP hop

At 10 and 50 clients the systems alternate run by run (naive, ours, naive, ours, ...) and
the better run of each (higher throughput) is reported, so slow drift of a noisy machine
hits both alike. At one client a run lasts a second or two, and this machine's speed
changes from one second to the next (two runs of the same code differed by 1.3x): there
the systems take turns every 50 requests instead (`measure_taking_turns`), each with its
client, so every system meets the same moments.
Targets (issue 22): ours >= 1.0x the naive+hop floor's throughput at 1, 10 and 50 clients,
with ours p99 <= 1.5x its p99 (`--hop-floor`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from bench.common import (
    PY_SPY_MISSING,
    BenchEnv,
    CpuMeter,
    RequestStats,
    bench_env,
    find_py_spy,
    machine_note,
    new_stack,
    now_text,
    py_spy_recording,
    ratio,
    register,
)
from tests.support.pdfs import make_document
from tests.support.stack import Stack, _uvicorn, free_port, wait_http

FULL = {"levels": [1, 10, 50], "requests": [1000, 1000, 2000], "rounds": 2, "warmup": 200}
QUICK = {"levels": [1, 10, 50], "requests": [30, 100, 200], "rounds": 1, "warmup": 30}
TIME_LIMIT_SECONDS = 180.0  # per measured run; requests not started by then are not sent
TURN_REQUESTS = 50  # at one client: a turn is about a quarter of a second


@dataclass(kw_only=True)
class RunStats(RequestStats):
    concurrency: int
    sent: int = 0
    opening_statuses: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {**super().summary(),
                "cpu_ms_per_request": {k: round(v, 2)
                                       for k, v in self.cpu_ms_per_request().items()},
                "cpu_seconds": {k: round(v, 2) for k, v in self.cpu_s.items()}}


@dataclass
class Target:
    system: str
    url: str
    headers: list[dict[str, str]]
    cpu_pids: dict[str, int] = field(default_factory=dict)
    database: str | None = None


async def _one(client: httpx.AsyncClient, target: Target, pdf: bytes, n: int
               ) -> tuple[bool, str, float]:
    started = time.perf_counter()
    try:
        response = await client.post(target.url, headers=target.headers[n % len(target.headers)],
                                     files={"pdf_file": ("doc.pdf", pdf, "application/pdf")})
        status = str(response.status_code)
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    return status == "201", status, (time.perf_counter() - started) * 1000


def _count(stats: RunStats, statuses: Counter[str], ok: bool, status: str, ms: float) -> None:
    """One answer into a run's tallies: its status, and its latency if it was accepted."""
    stats.sent += 1
    statuses[status] += 1
    if ok:
        stats.ok += 1
        stats.latencies_ms.append(ms)
    else:
        stats.errors += 1


async def measure(target: Target, pdf: bytes, *, concurrency: int, total: int,
                  time_limit: float = TIME_LIMIT_SECONDS) -> RunStats:
    """`total` requests from `concurrency` concurrent clients, each with its own connection.

    One AsyncClient per client: a single client shared by 50 tasks spent 5-7 ms of CPU per
    request in its connection pool (1 ms at 10), on the cores the servers measured use."""
    stats = RunStats(system=target.system, concurrency=concurrency, planned=total)
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(timeout=60, limits=limits))
                   for _ in range(concurrency)]
        # Open the connections first (not timed; their statuses are kept apart).
        opening = await asyncio.gather(*(_one(client, target, pdf, i)
                                         for i, client in enumerate(clients)))
        stats.opening_statuses = dict(Counter(status for _ok, status, _ms in opening))
        counter = iter(range(total))
        deadline = time.monotonic() + time_limit

        async def client_loop(client: httpx.AsyncClient) -> None:
            for n in counter:  # shared iterator: every request index is taken exactly once
                if time.monotonic() > deadline:
                    return
                _count(stats, statuses, *await _one(client, target, pdf, n))

        meter = CpuMeter(target.cpu_pids, target.database)
        meter.start()
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for client in clients))
        stats.seconds = time.perf_counter() - started
        stats.cpu_s = meter.stop()
    stats.statuses = dict(statuses)
    return stats


async def measure_taking_turns(targets: list[Target], pdf: bytes, *, total: int,
                               turn: int = TURN_REQUESTS) -> list[RunStats]:
    """`total` requests to each system from one client each, the systems taking turns
    every `turn` requests (the order rotating), so that every system meets the same
    moments of the machine. Turns are short runs, not single requests: a process that
    slept while the others ran answered its next request with 1.6x the CPU. A system's
    seconds and CPU are the sums over its turns."""
    stats = [RunStats(system=t.system, concurrency=1, planned=total) for t in targets]
    statuses: list[Counter[str]] = [Counter() for _ in targets]
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(timeout=60, limits=limits))
                   for _ in targets]
        for i, (client, target, run) in enumerate(zip(clients, targets, stats, strict=True)):
            run.opening_statuses = {(await _one(client, target, pdf, i))[1]: 1}
        for turn_number in range(-(-total // turn)):
            for k in range(len(targets)):
                i = (turn_number + k) % len(targets)
                target, run = targets[i], stats[i]
                meter = CpuMeter(target.cpu_pids, target.database)
                meter.start()
                started = time.perf_counter()
                for n in range(turn_number * turn, min(total, (turn_number + 1) * turn)):
                    _count(run, statuses[i], *await _one(clients[i], target, pdf, n))
                run.seconds += time.perf_counter() - started
                for name, seconds in meter.stop().items():
                    run.cpu_s[name] = run.cpu_s.get(name, 0.0) + seconds
    for run, counted in zip(stats, statuses, strict=True):
        run.statuses = dict(counted)
    return stats


def _best(runs: list[RunStats]) -> RunStats:
    return max(runs, key=lambda r: r.rps)


def start_naive(stack: Stack, bench: BenchEnv, queue: str, *, name: str = "naive",
                hop_url: str | None = None) -> str:
    port = free_port()
    env = {**bench.env, "NAIVE_QUEUE": queue}
    if hop_url:
        env["NAIVE_HOP_URL"] = hop_url
    stack.spawn(name, _uvicorn("bench.naive_app:app", port), env=env)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", stack)
    return url


def run(*, quick: bool = False, users: int = 1, profile_dir: Path | None = None,
        levels: list[int] | None = None, hop_floor: bool = False) -> dict[str, Any]:
    plan = QUICK if quick else FULL
    level_plan = list(zip(plan["levels"], plan["requests"], strict=True))
    if levels:
        level_plan = [(c, n) for c, n in level_plan if c in levels]
    pdf, _ = make_document(1)
    naive_queue = f"naive-bench-{uuid.uuid4().hex[:8]}"
    with bench_env("confirm") as bench:
        stack = new_stack(bench)
        try:
            stack.start_api()
            naive_url = start_naive(stack, bench, naive_queue)
            headers = [register(stack.gateway_url) for _ in range(users)]
            pids = {p.name: p.popen.pid for p in stack.processes}
            ours = Target("ours", f"{stack.gateway_url}/api/v1/jobs/confirm", headers,
                          {"gateway": pids["gateway"], "jobs": pids["jobs"]}, bench.name)
            naive = Target("naive", f"{naive_url}/naive/confirm", headers,
                           {"naive": pids["naive"]}, bench.name)
            targets = [naive, ours]
            if hop_floor:  # the far end is the naive process itself: one more bare request
                hop_url = start_naive(stack, bench, naive_queue, name="naive-hop",
                                      hop_url=f"{naive_url}/naive/echo")
                hop_pid = next(p.popen.pid for p in stack.processes if p.name == "naive-hop")
                targets.append(Target("naive+hop", f"{hop_url}/naive/confirm", headers,
                                      {"naive-hop": hop_pid, "naive": pids["naive"]},
                                      bench.name))
            print(f"confirm: {len(pdf)} byte one-page PDF, {users} user(s), "
                  f"levels {level_plan}, rounds {plan['rounds']}", file=sys.stderr)
            for target in targets:  # warm-up: imports, pools, JIT-free but caches
                warm = asyncio.run(measure(target, pdf, concurrency=10, total=plan["warmup"]))
                print(f"  warm-up {target.system}: {warm.ok}/{warm.sent} ok", file=sys.stderr)
            levels_out = []
            for concurrency, total in level_plan:
                runs: dict[str, list[RunStats]] = {t.system: [] for t in targets}
                for _round in range(plan["rounds"]):
                    if concurrency == 1:
                        measured = asyncio.run(measure_taking_turns(targets, pdf, total=total))
                    else:
                        measured = [asyncio.run(measure(target, pdf, concurrency=concurrency,
                                                        total=total)) for target in targets]
                    for stats in measured:
                        runs[stats.system].append(stats)
                        cpu = stats.summary()["cpu_ms_per_request"]
                        print(f"  c={concurrency:<3} {stats.system:<5} {stats.rps:8.1f} req/s "
                              f"p50 {stats.p50:7.1f} ms p99 {stats.p99:7.1f} ms "
                              f"errors {stats.errors} {stats.statuses} cpu ms/req {cpu}"
                              f" opening {stats.opening_statuses}",
                              file=sys.stderr)
                best = {system: _best(system_runs) for system, system_runs in runs.items()}
                level = {"concurrency": concurrency, "requests": total,
                         **{system: stats.summary() for system, stats in best.items()},
                         "throughput_ratio": round(ratio(best["ours"].rps,
                                                         best["naive"].rps), 3),
                         "p99_ratio": round(ratio(best["ours"].p99, best["naive"].p99), 3),
                         "all_runs": [r.summary() for rs in runs.values() for r in rs]}
                if "naive+hop" in best:
                    level["hop_throughput_ratio"] = round(ratio(best["naive+hop"].rps,
                                                                best["naive"].rps), 3)
                    level["hop_p99_ratio"] = round(ratio(best["naive+hop"].p99,
                                                         best["naive"].p99), 3)
                    level["ours_over_hop_throughput"] = round(ratio(best["ours"].rps,
                                                                    best["naive+hop"].rps), 3)
                    level["ours_over_hop_p99"] = round(ratio(best["ours"].p99,
                                                             best["naive+hop"].p99), 3)
                levels_out.append(level)
            profile = _profile(stack, naive, ours, pdf, profile_dir) if profile_dir else None
            checks = _checks(bench, naive_queue)
        finally:
            stack.stop_all()
    return {"benchmark": "confirm_throughput", "date": now_text(), "machine": machine_note(),
            "quick": quick, "users": users, "pdf_bytes": len(pdf), "levels": levels_out,
            "checks": checks, "profile": profile}


def _checks(bench: BenchEnv, naive_queue: str) -> dict[str, Any]:
    """Sanity after the runs: rows written, messages published; then purge the naive queue."""
    with psycopg.connect(bench.sql_url()) as connection:
        naive_rows = connection.execute("SELECT count(*) FROM naive_job").fetchone()[0]
        our_jobs = connection.execute("SELECT count(*) FROM job").fetchone()[0]
    client = redis.Redis.from_url(bench.redis_url)
    key = f"{bench.redis_prefix}{naive_queue}"
    queued = client.llen(key)
    client.delete(key)
    return {"naive_rows": naive_rows, "naive_messages_purged": queued, "our_jobs": our_jobs}


def _profile(stack: Stack, naive: Target, ours: Target, pdf: bytes, out: Path
             ) -> dict[str, Any]:
    """One extra (untimed) pass per system at c=10 under py-spy; collapsed stacks to `out`."""
    py_spy = find_py_spy()
    if py_spy is None:
        return {"error": PY_SPY_MISSING}
    pids = {p.name: p.popen.pid for p in stack.processes}
    files: dict[str, str] = {}
    for target, names in ((naive, ["naive"]), (ours, ["gateway", "jobs"])):
        with py_spy_recording(py_spy, {name: pids[name] for name in names}, out,
                              prefix="confirm") as recorded:
            asyncio.run(measure(target, pdf, concurrency=10, total=600, time_limit=60))
        files.update(recorded)
    return files


def _systems(level: dict[str, Any]) -> list[str]:
    return [s for s in ("naive", "naive+hop", "ours") if s in level]


def render(result: dict[str, Any]) -> str:
    lines = ["| clients | system | requests | req/s | p50 ms | p99 ms | errors |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for level in result["levels"]:
        for system in _systems(level):
            s = level[system]
            lines.append(f"| {level['concurrency']} | {system} | {s['ok']}/{s['planned']} | "
                         f"{s['rps']:.1f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
                         f"{s['errors']} |")
    lines += ["", "CPU milliseconds per accepted request (from /proc; postgres = backends of "
              "the bench database; bench-client = the load generator):", "",
              "| clients | system | per-process CPU ms/request | server total |",
              "| ---: | --- | --- | ---: |"]
    for level in result["levels"]:
        for system in _systems(level):
            cpu = level[system].get("cpu_ms_per_request", {})
            parts = ", ".join(f"{k} {v:.2f}" for k, v in cpu.items() if k != "bench-client")
            server = sum(v for k, v in cpu.items() if k != "bench-client")
            lines.append(f"| {level['concurrency']} | {system} | {parts}; "
                         f"bench-client {cpu.get('bench-client', float('nan')):.2f} | "
                         f"{server:.2f} |")
    lines += ["", "| clients | ours/naive throughput (target >= 1.0) | "
              "ours p99 / naive p99 (target <= 2.0) |", "| ---: | ---: | ---: |"]
    for level in result["levels"]:
        lines.append(f"| {level['concurrency']} | {level['throughput_ratio']:.2f}x | "
                     f"{level['p99_ratio']:.2f}x |")
    if any("hop_throughput_ratio" in level for level in result["levels"]):
        lines += ["", "| clients | naive+hop / naive throughput | naive+hop p99 / naive p99 |",
                  "| ---: | ---: | ---: |"]
        for level in result["levels"]:
            lines.append(f"| {level['concurrency']} | {level['hop_throughput_ratio']:.2f}x | "
                         f"{level['hop_p99_ratio']:.2f}x |")
        lines += ["", "| clients | ours / naive+hop throughput (target >= 1.0) | "
                  "ours p99 / naive+hop p99 (target <= 1.5) |", "| ---: | ---: | ---: |"]
        for level in result["levels"]:
            lines.append(f"| {level['concurrency']} | "
                         f"{level['ours_over_hop_throughput']:.2f}x | "
                         f"{level['ours_over_hop_p99']:.2f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--users", type=int, default=1,
                        help="distinct users (bearer tokens) the requests rotate over")
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")],
                        help="only these concurrency levels, e.g. 10,50")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles here")
    parser.add_argument("--hop-floor", action="store_true",
                        help="also measure the naive floor plus one bare HTTP hop")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, users=args.users, profile_dir=args.profile,
                 levels=args.levels, hop_floor=args.hop_floor)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(render(result))
    print(json.dumps(result["checks"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
