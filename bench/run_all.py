"""Run every benchmark and print the Markdown tables for bench/RESULTS.md.

    python -m bench.run_all                 # full run (make bench), ~10 minutes on 2 cores
    python -m bench.run_all --quick         # smoke run, ~2 minutes
    python -m bench.run_all --out /tmp/bench.md --json /tmp/bench.json
    python -m bench.run_all --only pipeline

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (override with
BENCH_POSTGRES_ADMIN_URL / BENCH_REDIS_URL, loopback only). Each benchmark creates its own
`conveyor_bench_<random>` database and Redis key prefix and removes them at the end.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from bench import confirm_throughput, pipeline_pages
from bench.common import machine_note, now_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run of each")
    parser.add_argument("--only", choices=["confirm", "pipeline"], help="run just one")
    parser.add_argument("--users", type=int, default=1, help="users for the confirm benchmark")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles here")
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    parser.add_argument("--json", type=Path, help="write all results as JSON here")
    args = parser.parse_args(argv)
    command = "python -m bench.run_all " + shlex.join(argv if argv is not None else sys.argv[1:])
    header = [f"Command: `{command.strip()}`", f"Date: {now_text()}", f"Machine: {machine_note()}",
              ""]
    results, sections = {}, []
    if args.only in (None, "confirm"):
        result = confirm_throughput.run(quick=args.quick, users=args.users,
                                        profile_dir=args.profile)
        results["confirm"] = result
        sections += ["## POST /api/v1/jobs/confirm vs the naive floor", "",
                     confirm_throughput.render(result), "",
                     f"Sanity: {json.dumps(result['checks'])}", ""]
        print("\n".join(sections[-5:]), flush=True)
    if args.only in (None, "pipeline"):
        result = pipeline_pages.run(quick=args.quick, profile_dir=args.profile)
        results["pipeline"] = result
        sections += ["## 300-page PDF through the pipeline vs raw pypdf"
                     if not args.quick else "## PDF through the pipeline vs raw pypdf (quick)", "",
                     pipeline_pages.render(result), ""]
        print("\n".join(sections[-3:]), flush=True)
    text = "\n".join(header + sections)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
