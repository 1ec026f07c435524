"""Images per second crawled and validated at each level, beside the bare cost in the same run.

    python -m bench.crawl_pipeline              # 200 images, 3 validation runs per level
    python -m bench.crawl_pipeline --quick      # 40 images, 1 run per level

A local site (loopback) serves a page of distinct 640x480 JPEG photos-like scenes.
End to end: POST /api/v1/jobs + /start (web engine, one chunk) -> one crawl worker process
(`-c 1`) -> completed, seen by polling /progress every 50 ms; then, per level,
POST /api/v1/validation/job/{id}/ -> completed.
Bare, in this process: the same downloads with one httpx client (GET, SHA-256, magic
bytes), and `check()` of each level on the same bytes.
The seed's per-level task rate limits would cap validation at (batch size x limit) images
a minute per worker, whatever the code costs; they are lifted here to measure the code,
and the cap is printed beside the result.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import httpx

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
from services.workers.crawl.settings import CrawlSettings
from services.workers.crawl.validation.checks import KeptFile, check
from services.workers.crawl.validation.pipeline import rules_from
from shared.crawl.params import ValidationLevel
from shared.images import SNIFF_BYTES, sniff_image_format
from tests.support.static_site import StaticSite
from tests.support.validation_images import encode, scene

POLL_SECONDS = 0.05
BATCH_SIZE = 25  # the default VALIDATION_BATCH_SIZE
SEED_LIMITS_PER_MINUTE = {"fast": 1000, "medium": 500, "slow": 100}


def photos(count: int) -> dict[str, bytes]:
    return {f"photo-{n:04d}.jpg": encode(scene(1000 + n, 640, 480), "JPEG", quality=85)
            for n in range(count)}


def _page(names: list[str]) -> bytes:
    images = "".join(f'<img src="/photos/{name}" alt="a bird {n}">'
                     for n, name in enumerate(names))
    return f"<html><head><title>Birds</title></head><body>{images}</body></html>".encode()


def _wait(client: httpx.Client, job_id: int) -> None:
    while (status := client.get(f"/api/v1/jobs/{job_id}/progress").json()["status"]) not in (
            "completed", "failed", "cancelled"):
        time.sleep(POLL_SECONDS)
    if status != "completed":
        raise RuntimeError(f"job {job_id} ended {status}")


def crawl(client: httpx.Client, site_url: str, count: int) -> tuple[int, float]:
    started = time.perf_counter()
    job = client.post("/api/v1/jobs", json={
        "keywords": ["bird"], "engines": ["web"], "max_images": count,
        "seed_urls": [f"{site_url}/birds.html"]}).raise_for_status().json()
    client.post(f"/api/v1/jobs/{job['id']}/start").raise_for_status()
    _wait(client, job["id"])
    elapsed = time.perf_counter() - started
    kept = client.get(f"/api/v1/jobs/{job['id']}/images").json()["total"]
    if kept != count:
        raise RuntimeError(f"the crawl kept {kept} of {count} images")
    return job["id"], elapsed


def validate(client: httpx.Client, job_id: int, level: str) -> float:
    started = time.perf_counter()
    answer = client.post(f"/api/v1/validation/job/{job_id}/",
                         json={"level": level}).raise_for_status().json()
    _wait(client, answer["validation_job_id"])
    return time.perf_counter() - started


def bare_download(site_url: str, names: list[str]) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=site_url) as client:
        for name in names:
            body = client.get(f"/photos/{name}").raise_for_status().content
            hashlib.sha256(body).hexdigest()
            sniff_image_format(body[:SNIFF_BYTES])
    return time.perf_counter() - started


def bare_check(bodies: list[bytes], level: ValidationLevel) -> float:
    rules = rules_from(CrawlSettings())
    started = time.perf_counter()
    for body in bodies:
        check(KeptFile(size_bytes=len(body), declared_type="image/jpeg",
                       detected_format="jpeg", body=body), level, rules)
    return time.perf_counter() - started


def _median_of(function: Callable[[], float], repeat: int) -> float:
    return median([function() for _ in range(repeat)])


def run(*, quick: bool = False) -> dict[str, Any]:
    count, repeat = (40, 1) if quick else (200, 3)
    files = photos(count)
    names = sorted(files)
    site = StaticSite({"/birds.html": ("text/html", _page(names)),
                       **{f"/photos/{name}": ("image/jpeg", body)
                          for name, body in files.items()}}).start()
    no_limits = {f"VALIDATION_RATE_LIMIT_{level.upper()}": "" for level in SEED_LIMITS_PER_MINUTE}
    result: dict[str, Any] = {"images": count, "repetitions": repeat,
                              "mean_image_bytes": sum(map(len, files.values())) // count}
    try:
        with bench_env("crawl-pipeline", CRAWL_ALLOWED_NETWORKS="127.0.0.1/32",
                       CRAWL_HOST_DELAY_SECONDS="0", VALIDATION_BATCH_SIZE=str(BATCH_SIZE),
                       RATE_LIMIT_VALIDATION="1000000/minute",
                       **no_limits) as bench:
            stack = new_stack(bench)
            try:
                stack.start_api()
                stack.start_worker("worker-crawl", queues="crawl",
                                   app="services.workers.crawl.app", concurrency=1)
                headers = register(stack.gateway_url)
                with httpx.Client(base_url=stack.gateway_url, headers=headers,
                                  timeout=120) as client:
                    result.update(_measure(client, site.url, names, list(files.values()),
                                           repeat))
            finally:
                stack.stop_all()
    finally:
        site.stop()
    return {"benchmark": "crawl_pipeline", "date": now_text(), "machine": machine_note(),
            "quick": quick, **result}


def _measure(client: httpx.Client, site_url: str, names: list[str], bodies: list[bytes],
             repeat: int) -> dict[str, Any]:
    bare_download(site_url, names[:5])  # warm-up
    bare_before = bare_download(site_url, names)
    crawls = [crawl(client, site_url, len(names)) for _ in range(repeat)]
    bare_after = bare_download(site_url, names)
    job_id = crawls[-1][0]
    rows = {"download": _row(len(names), median([t for _, t in crawls]),
                             median([bare_before, bare_after]))}
    for level in ValidationLevel:
        validate(client, job_id, level.value)  # warm-up: imports in the worker
        before = _median_of(lambda level=level: bare_check(bodies, level), repeat)
        pipeline = _median_of(lambda level=level: validate(client, job_id, level.value),
                              repeat)
        after = _median_of(lambda level=level: bare_check(bodies, level), repeat)
        rows[level.value] = _row(len(names), pipeline, median([before, after]))
    return {"rows": rows}


def _row(count: int, pipeline_s: float, bare_s: float) -> dict[str, float]:
    return {"pipeline_s": pipeline_s, "bare_s": bare_s,
            "pipeline_images_per_s": count / pipeline_s, "bare_images_per_s": count / bare_s,
            "pipeline_over_bare": ratio(pipeline_s, bare_s)}


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['images']} distinct 640x480 JPEGs (mean {result['mean_image_bytes']} "
             f"bytes), one crawl worker process, median of {result['repetitions']}:", "",
             "| stage | end to end, images/s | bare, images/s | end to end time / bare time "
             "| end to end minus bare, ms | seed rate-limit cap, images/s per worker |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for stage, row in result["rows"].items():
        limit = SEED_LIMITS_PER_MINUTE.get(stage)
        cap = f"{BATCH_SIZE * limit / 60:.0f}" if limit else "(10 chunks/min per engine)"
        label = "download (crawl job)" if stage == "download" else f"validation, {stage}"
        lines.append(f"| {label} | {row['pipeline_images_per_s']:.1f} | "
                     f"{row['bare_images_per_s']:.1f} | {row['pipeline_over_bare']:.2f}x | "
                     f"{(row['pipeline_s'] - row['bare_s']) * 1e3:.0f} | {cap} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return quick_json_main(__doc__ or "", run, render, argv)


if __name__ == "__main__":
    raise SystemExit(main())
