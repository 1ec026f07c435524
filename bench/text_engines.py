"""The two text engines (issue 22) on the same PDFs: how far their sentences differ, and
how fast each reads the text layers.

    python -m bench.text_engines                          # the PDFs under ../shared/data
    python -m bench.text_engines --pdf a.pdf b.pdf --made  # named PDFs, plus a made one
    python -m bench.text_engines --show 5                 # with the first differences

For each PDF, in-process (no HTTP, no Celery), with the worker's own code:
- sentences: every page's text by each engine (`services.workers.pdf.engines`), then the
  one cleanup, hyphenation and segmentation (`document_sentences`, the default options,
  which chunked processing reproduces exactly); their counts, the pages whose text is the
  same, and the share of pypdf's sentences that pdfium gives identically, in order;
- speed: opening the file and reading every page's text, per engine, alternating
  engines `--repetitions` times; the median pages/s and their ratio in the same run.

`--made` adds a PDF made here for the cases no real file on this machine has: two justified
columns with formulas (fpdf2, DejaVu Sans). It is labelled as made in the output.
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fpdf import FPDF

from services.workers.pdf.engines import TextEngine, open_document
from services.workers.pdf.text import TextOptions, document_sentences
from tests.support.stack import REPO_ROOT

DATA_DIR = REPO_ROOT.parent / "shared" / "data"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MADE = "made: two columns with formulas"
_FORMULAS = ["E = mc²", "∑ᵢ xᵢ² ≤ n·max(xᵢ)²", "∫₀¹ f(x) dx ≈ ½(f(0) + f(1))",
             "α + β = γ − δ",  # noqa: RUF001 (Greek letters and a minus sign, on purpose)
             "√(a² + b²) ≥ |a|", "lim_{n→∞} (1 + 1/n)ⁿ = e"]


def page_texts(path: Path, engine: TextEngine) -> list[str]:
    document = open_document(path, engine)
    return [document.page_text(index) for index in range(document.page_count)]


def compare(path: Path, *, show: int) -> dict[str, Any]:
    texts = {engine: page_texts(path, engine) for engine in TextEngine}
    sentences = {engine: document_sentences(texts[engine], TextOptions()) for engine in TextEngine}
    base, other = sentences[TextEngine.PYPDF], sentences[TextEngine.PDFIUM]
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    identical = sum(block.size for block in matcher.get_matching_blocks())
    pages = len(texts[TextEngine.PYPDF])
    same_pages = sum(a == b for a, b in zip(*texts.values(), strict=True))
    differences = [(base[i1:i2], other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
                   if tag != "equal"]
    return {"pages": pages, "same_pages": same_pages,
            "sentences": {engine.value: len(found) for engine, found in sentences.items()},
            "identical": identical, "identical_share": identical / max(1, len(base)),
            "differences": differences[:show]}


def extraction_speed(path: Path, *, repetitions: int) -> dict[str, float]:
    """Median pages/s per engine, engines alternating so drift hits both alike."""
    seconds: dict[TextEngine, list[float]] = {engine: [] for engine in TextEngine}
    pages = 0
    for _ in range(repetitions):
        for engine in TextEngine:
            started = time.perf_counter()
            pages = len(page_texts(path, engine))
            seconds[engine].append(time.perf_counter() - started)
    speed = {engine.value: pages / statistics.median(taken) for engine, taken in seconds.items()}
    return {**speed, "ratio": speed["pdfium"] / speed["pypdf"]}


def make_two_columns(path: Path, *, pages: int = 6) -> Path:
    """Justified two-column pages of prose with inline formulas, hyphen-free."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=10)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    paragraphs = [
        f"Paragraph {n} states that {_FORMULAS[n % len(_FORMULAS)]} holds for every value "
        f"the model takes. The proof in section {n} uses {_FORMULAS[(n + 2) % len(_FORMULAS)]} "
        "and a bound that follows from it. Readers who skip it lose nothing of the argument."
        for n in range(1, 14 * pages)]
    with pdf.text_columns(ncols=2, gutter=8, text_align="J") as columns:
        for paragraph in paragraphs:
            columns.write(paragraph + "\n\n")
    pdf.output(str(path))
    return path


def _print(name: str, row: dict[str, Any]) -> None:
    counts, speed = row["sentences"], row["speed"]
    print(f"{name}: {row['pages']} pages, same text on {row['same_pages']}; sentences "
          f"pypdf {counts['pypdf']}, pdfium {counts['pdfium']}, identical {row['identical']} "
          f"({row['identical_share']:.1%} of pypdf's); pages/s pypdf {speed['pypdf']:.0f}, "
          f"pdfium {speed['pdfium']:.0f}, ratio {speed['ratio']:.1f}x")
    for before, after in row["differences"]:
        print(f"    pypdf : {before}\n    pdfium: {after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdf", type=Path, nargs="*", help="default: ../shared/data/**/*.pdf")
    parser.add_argument("--made", action="store_true", help="add the made two-column PDF")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--show", type=int, default=0, help="differences shown per PDF")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    files = {path.name: path for path in (args.pdf or sorted(DATA_DIR.glob("**/*.pdf")))}
    with tempfile.TemporaryDirectory() as scratch:
        if args.made:
            files[MADE] = make_two_columns(Path(scratch) / "two-columns.pdf")
        if not files:
            raise SystemExit(f"no PDFs: none under {DATA_DIR}; name some with --pdf")
        rows = {}
        for name, path in files.items():
            rows[name] = {**compare(path, show=args.show),
                          "speed": extraction_speed(path, repetitions=args.repetitions)}
            _print(name, rows[name])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
