"""How long one full garbage collection takes in a process that loaded a service, before
and after `shared.gc_tuning.freeze_startup_objects`. No services or database needed.

    python -m bench.gc_pauses              # gateway, job service, PDF worker
    python -m bench.gc_pauses --runs 20

Each service is loaded in a process of its own (the gateway and job service apps built,
the PDF worker's Celery app with its tasks imported); then the median of `--runs` full
collections (`gc.collect()`), the objects the collector tracks, and the same after the
freeze.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from bench.common import REPO_ROOT, machine_note, now_text

LOADERS = {
    "gateway": "from services.gateway.main import create_app; create_app()",
    "jobs": "from services.jobs.main import create_app; create_app()",
    "worker-pdf": "import services.workers.pdf.app, services.workers.pdf.tasks",
}
_MEASURE = """
import gc, json, statistics, time
{load}
from shared.gc_tuning import freeze_startup_objects

def full(runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)

gc.collect()
before = {{"ms": full({runs}), "tracked": len(gc.get_objects())}}
freeze_startup_objects()
after = {{"ms": full({runs}), "tracked": len(gc.get_objects())}}
print(json.dumps({{"before": before, "after": after, "frozen": gc.get_freeze_count()}}))
"""


def run(runs: int = 10) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "gc_pauses", "date": now_text(),
                              "machine": machine_note(), "runs": runs, "services": {}}
    for name, load in LOADERS.items():
        completed = subprocess.run([sys.executable, "-c", _MEASURE.format(load=load, runs=runs)],
                                   cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        result["services"][name] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def render(result: dict[str, Any]) -> str:
    lines = ["| service | tracked objects | full collection ms | after the freeze: tracked | ms |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, r in result["services"].items():
        lines.append(f"| {name} | {r['before']['tracked']} | {r['before']['ms']:.1f} | "
                     f"{r['after']['tracked']} | {r['after']['ms']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="full collections per measure")
    args = parser.parse_args(argv)
    print(render(run(args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
