"""Field accuracy and time of the receipt reader on real scans (SROIE, ../shared/data).

    python -m bench.receipts_real                      # all 60 receipts, 2 processes
    python -m bench.receipts_real --ids 002 015 --show  # a few, with what was read

Runs the worker's own reading (`services.workers.ocr.receipts.read_receipt`: decode,
preprocess, Tesseract, analysis) in-process, without HTTP or Celery, so that the figures are
the reader's alone. Prints per-field accuracy, the share of fields given a confidence of at
least 0.8 that are right, and seconds per receipt (CPU of the worker process and its
Tesseract children, and wall).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from tests.support.sroie import FIELDS, Case, confidences, load_cases, score

CONFIDENT = 0.8


def read_case(case: Case) -> dict[str, Any]:
    from services.workers.ocr.receipts import read_receipt
    from shared.image_decode import load_image

    before, started = os.times(), time.perf_counter()
    image = load_image(case.image_path, max_pixels=50_000_000)
    data = read_receipt(image)
    wall, after = time.perf_counter() - started, os.times()
    cpu = sum(after[:4]) - sum(before[:4])
    return {"id": case.receipt_id, "data": data, "wall": wall, "cpu": cpu,
            "score": score(data, case.truth), "confidence": confidences(data),
            "truth": case.truth}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    count = len(rows)
    accuracy = {field: sum(row["score"][field] for row in rows) / count for field in FIELDS}
    confident = [(row["score"][field]) for row in rows for field in FIELDS
                 if row["confidence"][field] >= CONFIDENT]
    return {"receipts": count, "accuracy": accuracy,
            "confident_fields": len(confident),
            "confident_right_share": sum(confident) / len(confident) if confident else None,
            "wall_per_receipt": sum(row["wall"] for row in rows) / count,
            "cpu_per_receipt": sum(row["cpu"] for row in rows) / count}


def _show(row: dict[str, Any]) -> None:
    marks = " ".join(f"{f}={'ok' if row['score'][f] else 'NO'}" for f in FIELDS)
    data, truth = row["data"], row["truth"]
    print(f"{row['id']} {marks} ({row['wall']:.2f} s)")
    for field, key in (("total", "total"), ("date", "date"), ("merchant", "company")):
        if not row["score"][field]:
            got = data.get(field) or {}
            print(f"    {field}: read {got.get('value')!r} ({got.get('confidence')}), "
                  f"printed {truth[key]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ids", nargs="*", help="receipt ids (default: all)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print every miss")
    parser.add_argument("--json", help="write the rows and summary to this file")
    args = parser.parse_args()
    cases = load_cases(args.ids)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.processes) as pool:
        rows = list(pool.map(read_case, cases))
    elapsed = time.perf_counter() - started
    if args.show:
        for row in rows:
            _show(row)
    summary = summarise(rows)
    accuracy = ", ".join(f"{f} {summary['accuracy'][f]:.1%}" for f in FIELDS)
    print(f"{summary['receipts']} receipts: {accuracy}")
    share = summary["confident_right_share"]
    print(f"fields with confidence >= {CONFIDENT}: {summary['confident_fields']}, right: "
          f"{'-' if share is None else f'{share:.1%}'}")
    print(f"per receipt: {summary['wall_per_receipt']:.2f} s wall, "
          f"{summary['cpu_per_receipt']:.2f} s CPU; {elapsed:.1f} s in all "
          f"with {args.processes} processes")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"summary": summary, "rows": rows}, out, indent=1, default=str)


if __name__ == "__main__":
    main()
