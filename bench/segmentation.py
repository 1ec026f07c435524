"""PDF sentence segmentation alone, the current code against a baseline from a git revision,
in the same run: page texts in, sentences out (cleanup, segmentation, filters).

    python -m bench.segmentation                          # baseline: main
    python -m bench.segmentation --baseline-rev HEAD~3    # any revision
    python -m bench.segmentation --engine pypdf --repetitions 9 --json out.json

The documents: the 300-page flowing PDF of `bench.pipeline_pages` (made once and cached in
the temp dir) and the two real PDFs of session 14 (`--pdf` names others). Each one's page
texts are read once, with `--engine`, before any timing. Per document and repetition, the
baseline and the current code alternate (so drift hits both alike), timed two ways:
- document: `document_sentences` over every page;
- chunked: `chunk_sentences` for every chunk of `plan_chunks`, each given the pages the
  worker reads for it (its own and one on each side), as the PDF worker calls it.
Default options. Before timing, both implementations must give the same sentences, or the
run stops. Printed: the median seconds of each and their ratio, current / baseline, in wall
time and in this process's CPU time (which other processes on a busy machine add less to).

The baseline is `services/workers/pdf/{text,cleanup,sentences,filters}.py` at the revision,
exported with `git show` into a temporary package and imported from there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import machine_note, now_text
from bench.pipeline_pages import flowing_pdf
from services.jobs.pdf_chunking import plan_chunks
from services.workers.pdf import text as current
from services.workers.pdf.engines import TextEngine, open_document
from tests.support.stack import REPO_ROOT

MODULES = ("text", "cleanup", "sentences", "filters")
REAL_PDFS = (Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
             Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"))
FLOWING_PAGES = 300
BASELINE_PACKAGE = "baseline_segmentation"


def load_baseline(revision: str, into: Path) -> ModuleType:
    """`text` of the PDF worker at `revision`, as a package of its own under `into`."""
    package = into / BASELINE_PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in MODULES:
        source = subprocess.run(
            ["git", "show", f"{revision}:services/workers/pdf/{name}.py"], cwd=REPO_ROOT,
            check=True, capture_output=True, text=True).stdout
        (package / f"{name}.py").write_text(
            source.replace("services.workers.pdf.", f"{BASELINE_PACKAGE}."))
    sys.path.insert(0, str(into))
    return importlib.import_module(f"{BASELINE_PACKAGE}.text")


def page_texts(path: Path, engine: TextEngine) -> list[str]:
    document = open_document(path, engine)
    return [document.page_text(index) for index in range(document.page_count)]


def documents(pdfs: Sequence[Path], engine: TextEngine, scratch: Path) -> dict[str, list[str]]:
    flowing = scratch / "flowing.pdf"
    flowing.write_bytes(flowing_pdf(FLOWING_PAGES, exact=True)[0])
    named = {f"flowing, {FLOWING_PAGES} pages (made)": flowing, **{p.name: p for p in pdfs}}
    return {name: page_texts(path, engine) for name, path in named.items()}


def chunked(module: ModuleType, pages: Sequence[str]) -> list[str]:
    sentences: list[str] = []
    for chunk in plan_chunks(len(pages)).chunks:
        sentences += module.chunk_sentences(
            pages[chunk.read_first_page - 1 : chunk.read_last_page],
            first_read_page=chunk.read_first_page, first_page=chunk.first_page,
            last_page=chunk.last_page, options=module.TextOptions())
    return sentences


def whole(module: ModuleType, pages: Sequence[str]) -> list[str]:
    return module.document_sentences(pages, module.TextOptions())


WAYS: dict[str, Callable[[ModuleType, Sequence[str]], list[str]]] = {
    "document": whole, "chunked": chunked}


def measure(baseline: ModuleType, pages: Sequence[str], *, repetitions: int) -> dict[str, Any]:
    """Median seconds per way and implementation, alternating; the sentence count."""
    for way in WAYS.values():
        if way(baseline, pages) != way(current, pages):
            raise SystemExit("the current code's sentences differ from the baseline's")
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    for _ in range(repetitions):
        for way, run in WAYS.items():
            for label, module in (("baseline", baseline), ("current", current)):
                started, started_cpu = time.perf_counter(), time.process_time()
                run(module, pages)
                wall.setdefault((way, label), []).append(time.perf_counter() - started)
                cpu.setdefault((way, label), []).append(time.process_time() - started_cpu)
    row: dict[str, Any] = {"pages": len(pages), "sentences": len(whole(current, pages))}
    for way in WAYS:
        base, new = (statistics.median(wall[way, label]) for label in ("baseline", "current"))
        base_cpu, new_cpu = (statistics.median(cpu[way, label])
                             for label in ("baseline", "current"))
        row[way] = {"baseline_s": base, "current_s": new, "ratio": new / base,
                    "baseline_cpu_s": base_cpu, "current_cpu_s": new_cpu,
                    "cpu_ratio": new_cpu / base_cpu}
    return row


def render(rows: dict[str, dict[str, Any]]) -> str:
    lines = ["| document | pages | sentences | way | baseline s | current s | current / baseline "
             "| CPU s: baseline, current | CPU current / baseline |",
             "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in rows.items():
        for way in WAYS:
            fig = row[way]
            lines.append(
                f"| {name} | {row['pages']} | {row['sentences']} | {way} | "
                f"{fig['baseline_s']:.4f} | {fig['current_s']:.4f} | "
                f"{fig['ratio']:.2f} ({1 / fig['ratio']:.1f}x faster) | "
                f"{fig['baseline_cpu_s']:.4f}, {fig['current_cpu_s']:.4f} | "
                f"{fig['cpu_ratio']:.2f} ({1 / fig['cpu_ratio']:.1f}x faster) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-rev", default="main")
    parser.add_argument("--engine", choices=[engine.value for engine in TextEngine],
                        default=TextEngine.PDFIUM.value)
    parser.add_argument("--pdf", type=Path, nargs="*", help="default: the two real PDFs")
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    print(f"{now_text()} · {machine_note()}")
    with tempfile.TemporaryDirectory(prefix="conveyor-bench-segmentation-") as scratch:
        baseline = load_baseline(args.baseline_rev, Path(scratch))
        texts = documents(args.pdf if args.pdf is not None else REAL_PDFS,
                          TextEngine(args.engine), Path(scratch))
        rows = {name: measure(baseline, pages, repetitions=args.repetitions)
                for name, pages in texts.items()}
    print(f"baseline {args.baseline_rev}, engine {args.engine}, "
          f"median of {args.repetitions} alternating repetitions\n")
    print(render(rows))
    load = os.getloadavg()
    print(f"\nload average after the run {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
