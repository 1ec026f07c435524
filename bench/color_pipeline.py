"""A 1920x1080 colour transfer end to end, beside the bare transform in the same run.

    python -m bench.color_pipeline              # 30 transfers, ~1 minute
    python -m bench.color_pipeline --quick      # 5 transfers

End to end: POST /api/v1/process/async (seed body: job_id, target_ral_code, downsample)
-> the job service -> Redis -> one colour worker process (`-c 1`) -> SUCCESS, as the
client sees it polling GET /api/v1/task/{id} every 20 ms, one transfer at a time; the
same with one long poll (GET /api/v1/task/{id}?wait_seconds=30) instead; and
POST /api/v1/process/reinhard (sync), timed from request to answer.
Bare: `transfer_to_lab` on the decoded image, in this process, same session.
Also the bare transform with what the worker does around it (read the pixels the upload
kept, QC report while the PNG result and the preview are encoded), the gaps between the
jobs' logged events, to show where the overhead goes, and the upload itself, which decodes
the image for every later job.
Targets (the issue): end-to-end overhead over the bare transform <= 100 ms, so >= 15x
faster than the seed's 2.1 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

from bench.common import (
    bench_env,
    machine_note,
    median,
    new_stack,
    now_text,
    quick_json_main,
    ratio,
    register,
)
from services.workers.color.pipeline import measure_and_encode
from services.workers.color.transfer import transfer_to_lab
from shared.color.palette import ral_classic
from shared.image_decode import load_image
from tests.support.surfaces import encoded, shaded_surface

SEED_TRANSFER_SECONDS = 2.1
# A photo arrives as JPEG; the PNG column shows what a lossless upload costs to decode
# (at upload, for an image the upload keeps decoded: shared.color.pixels).
UPLOAD_FORMATS = (".jpg", ".png")
TARGET = "RAL 3000"
# Every poll is a gateway and a job-service request: at 5 ms they kept about one of the two
# cores busy and slowed the worker they waited on (load 36 ms instead of 15, transfer 29
# instead of 12, in the job's event log). 20 ms adds 10 ms of detection lag on average.
POLL_SECONDS = 0.02


def _timed(function: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def bare(path: Path, repeat: int) -> dict[str, float]:
    image = load_image(path, max_pixels=50_000_000, color=True)
    target = ral_classic().find(TARGET)
    assert target is not None
    kept = path.with_suffix(".npy")  # the pixels the upload keeps (shared.color.pixels)
    np.save(kept, image, allow_pickle=False)

    def worker_body() -> None:
        result = transfer_to_lab(np.load(kept, allow_pickle=False), target.lab)
        measure_and_encode(result, target.lab)  # as the worker does

    transfer = median(_timed(lambda: transfer_to_lab(image, target.lab), repeat))
    with_io = median(_timed(worker_body, max(3, repeat // 3)))
    return {"transfer_s": transfer, "worker_body_s": with_io}


def end_to_end(client: httpx.Client, upload_id: str, repeat: int) -> dict[str, list[float]]:
    body = {"job_id": upload_id, "target_ral_code": TARGET, "downsample": True}
    times: dict[str, list[float]] = {"async_s": [], "long_poll_s": [], "sync_s": []}
    for _ in range(repeat):
        for key, wait in (("async_s", 0), ("long_poll_s", 30)):
            started = time.perf_counter()
            _async_transfer(client, body, wait_seconds=wait)
            times[key].append(time.perf_counter() - started)
        started = time.perf_counter()
        client.post("/api/v1/process/reinhard", json=body).raise_for_status()
        times["sync_s"].append(time.perf_counter() - started)
    return times


def _async_transfer(client: httpx.Client, body: dict[str, Any], *, wait_seconds: float
                    ) -> None:
    """Submit, then poll every POLL_SECONDS (wait_seconds 0) or long-poll until it ends."""
    task_id = client.post("/api/v1/process/async", json=body).raise_for_status() \
        .json()["task_id"]
    params = {"wait_seconds": wait_seconds} if wait_seconds else None
    while (state := client.get(f"/api/v1/task/{task_id}", params=params).json()["state"]
           ) not in ("SUCCESS", "FAILURE", "REVOKED"):
        if not wait_seconds:
            time.sleep(POLL_SECONDS)
    if state != "SUCCESS":
        raise RuntimeError(f"transfer {task_id} ended {state}")


def stage_breakdown(database_url: str, jobs: int) -> dict[str, float]:
    """Median ms between consecutive points of the last `jobs` colour jobs' event logs:
    where the time between the job row's creation and its completion goes."""
    gaps: dict[str, list[float]] = {}
    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as db:
        job_ids = [row[0] for row in db.execute(
            "SELECT id FROM job WHERE kind = 'color_transfer' ORDER BY id DESC LIMIT %s", (jobs,))]
        for job_id in job_ids:
            created = db.execute("SELECT created_at FROM job WHERE id = %s",
                                 (job_id,)).fetchone()
            events = db.execute(
                "SELECT event_type, to_status, detail->>'step', created_at FROM job_event "
                "WHERE job_id = %s ORDER BY id", (job_id,)).fetchall()
            previous_name, previous_at = "job created", created[0] if created else None
            for event_type, to_status, step, at in events:
                name = step or f"{event_type}:{to_status}"
                if previous_at is not None:
                    gap = (at - previous_at).total_seconds() * 1e3
                    gaps.setdefault(f"{previous_name} -> {name}", []).append(gap)
                previous_name, previous_at = name, at
    return {label: median(values) for label, values in gaps.items()}


def run(*, quick: bool = False) -> dict[str, Any]:
    repeat = 5 if quick else 30
    image = shaded_surface(1080, 1920)
    results: dict[str, Any] = {}
    with bench_env("color-pipeline", SIGNUP_CREDITS="100000",
                   RATE_LIMIT_COLOR_ASYNC="100000/minute") as bench:
        stack = new_stack(bench)
        try:
            stack.start_api()
            stack.start_worker("worker-color", queues="color",
                               app="services.workers.color.app", concurrency=1)
            headers = register(stack.gateway_url)
            with httpx.Client(base_url=stack.gateway_url, headers=headers, timeout=60) as client:
                for upload_format in UPLOAD_FORMATS:
                    path = bench.data_dir / f"surface{upload_format}"
                    path.write_bytes(encoded(image, upload_format))
                    results[upload_format] = _one_format(client, path, repeat)
                    results[upload_format]["stages_ms"] = stage_breakdown(
                        bench.database_url, 2 * repeat)
        finally:
            stack.stop_all()
    return {"benchmark": "color_pipeline", "date": now_text(), "machine": machine_note(),
            "quick": quick, "repetitions": repeat, "formats": results}


def _one_format(client: httpx.Client, path: Path, repeat: int) -> dict[str, Any]:
    content = path.read_bytes()
    upload_ids: list[str] = []

    def upload() -> None:
        upload_ids.append(client.post("/api/v1/upload", files={"file": (path.name, content)}
                                      ).raise_for_status().json()["job_id"])

    upload()  # warm-up
    upload_s = median(_timed(upload, max(3, repeat // 3)))
    upload_id = upload_ids[-1]
    end_to_end(client, upload_id, 2)  # warm-up: imports, palette, connections
    before = bare(path, repeat)
    pipeline = end_to_end(client, upload_id, repeat)
    after = bare(path, repeat)
    transfer = median([before["transfer_s"], after["transfer_s"]])
    worker_body = median([before["worker_body_s"], after["worker_body_s"]])
    async_m, sync_m = median(pipeline["async_s"]), median(pipeline["sync_s"])
    long_poll_m = median(pipeline["long_poll_s"])
    return {"upload_bytes": path.stat().st_size, "upload_ms": upload_s * 1e3,
            "transfer_ms": transfer * 1e3,
            "worker_body_ms": worker_body * 1e3, "async_ms": async_m * 1e3,
            "long_poll_ms": long_poll_m * 1e3,
            "sync_ms": sync_m * 1e3, "async_all_ms": [t * 1e3 for t in pipeline["async_s"]],
            "async_overhead_ms": (async_m - transfer) * 1e3,
            "long_poll_overhead_ms": (long_poll_m - transfer) * 1e3,
            "sync_overhead_ms": (sync_m - transfer) * 1e3,
            "seed_over_async": ratio(SEED_TRANSFER_SECONDS, async_m),
            "seed_over_sync": ratio(SEED_TRANSFER_SECONDS, sync_m)}


def render(result: dict[str, Any]) -> str:
    lines = [f"| 1920x1080 toward {TARGET}, {result['repetitions']} each, median ms | "
             + " | ".join(f"{fmt[1:].upper()} upload" for fmt in result["formats"]) + " |",
             "| --- |" + " ---: |" * len(result["formats"])]
    rows = [("upload (`POST /api/v1/upload`, before the window)", "upload_ms"),
            ("bare transform (`transfer_to_lab`)", "transfer_ms"),
            ("bare worker body (read kept pixels, transfer, QC, encode PNG + preview)",
             "worker_body_ms"),
            ("end to end, async: submit -> SUCCESS seen by a 20 ms poll", "async_ms"),
            ("end to end, async: submit -> SUCCESS from one long poll", "long_poll_ms"),
            ("end to end, sync `/process/reinhard`", "sync_ms"),
            ("overhead over the bare transform, async (target <= 100)", "async_overhead_ms"),
            ("overhead over the bare transform, async with a long poll",
             "long_poll_overhead_ms"),
            ("overhead over the bare transform, sync", "sync_overhead_ms")]
    for label, key in rows:
        lines.append(f"| {label} | " + " | ".join(f"{r[key]:.1f}" for r in
                                                  result["formats"].values()) + " |")
    lines.append("| seed's 2.1 s over end to end, async (target >= 15x) | " + " | ".join(
        f"{r['seed_over_async']:.1f}x" for r in result["formats"].values()) + " |")
    for name, formatted in result["formats"].items():
        lines += ["", f"Where a {name[1:].upper()} job's time goes (median ms, job event log):",
                  *(f"- {gap}: {ms:.1f}" for gap, ms in formatted["stages_ms"].items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return quick_json_main(__doc__ or "", run, render, argv)


if __name__ == "__main__":
    raise SystemExit(main())
