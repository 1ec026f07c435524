"""Tesseract through pytesseract: words with boxes and confidences, text, and OSD.

Every call starts one `tesseract` process on a temporary PNG of the image. Errors become
ConveyorErrors: Tesseract or language data missing -> INTERNAL (with what to install),
a run over its time limit -> TIMEOUT, Tesseract refusing the image -> PROCESSING_FAILED.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pytesseract
from PIL import Image
from pytesseract import Output, TesseractError, TesseractNotFoundError

from shared.errors import ConveyorError, ErrorCode

# Tesseract's LSTM uses OpenMP and by default starts a thread per core. Worker processes
# already run one Tesseract per core, and the threads then fight over the cores: two
# concurrent runs took ~28x longer on a 2-core machine. The subprocess inherits this
# variable; setdefault leaves an operator's explicit choice alone.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

logger = logging.getLogger(__name__)

_INSTALL_HINT = ("install the Debian packages tesseract-ocr and tesseract-ocr-<lang> "
                 "(e.g. tesseract-ocr-pol), or point TESSDATA_PREFIX at the traineddata files")
_LANGUAGE_ERRORS = ("Failed loading language", "Error opening data file",
                    "Tesseract couldn't load any languages")


@dataclass(frozen=True, kw_only=True)
class OcrWord:
    text: str
    confidence: float  # 0..100
    left: int
    top: int
    width: int
    height: int
    block: int  # Tesseract's block number, 1-based
    line: int  # line number within the block, 1-based, counted across its paragraphs


@dataclass(frozen=True, kw_only=True)
class OcrResult:
    text: str
    mean_confidence: float  # over the recognised words; 0.0 when there are none
    words: list[OcrWord]
    languages: str
    # Mean word confidence of each line of `text` that holds words, in order.
    line_confidences: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "mean_confidence": round(self.mean_confidence, 2),
            "languages": self.languages,
            "words": [{"text": word.text, "confidence": round(word.confidence, 2),
                       "bbox": [word.left, word.top, word.width, word.height],
                       "block": word.block, "line": word.line} for word in self.words],
        }


def recognise(image: np.ndarray, *, languages: str = "pol+eng", psm: int = 4,
              timeout_seconds: float = 120) -> OcrResult:
    """OCR an image in one Tesseract run; text and words come from the same output.

    psm 4 (a single column of text of variable sizes) suits receipts and letters; use 3
    for multi-column pages, 6 for one uniform block. Caveat: with psm 3 and 4 Tesseract's
    layout analysis may drop a narrow column of lone capitals, such as the tax letters
    ("A", "B") at the right edge of Polish receipts, taking it for vertical text; on our
    benchmark receipt psm 4 lost all 42 of them; psm 6 kept them (a few glued: "8.31A").
    """
    _check_languages(languages)
    with _image_file(image) as path:
        data = _run(pytesseract.image_to_data, path, lang=languages,
                    config=f"--psm {int(psm)}", output_type=Output.DICT,
                    timeout=timeout_seconds)
    rows = _word_rows(data)
    words = [word for _, word in rows]
    mean = sum(word.confidence for word in words) / len(words) if words else 0.0
    return OcrResult(text=_join_text(rows), mean_confidence=mean, words=words,
                     languages=languages, line_confidences=_line_confidences(rows))


def with_lines(result: OcrResult, lines: list[list[OcrWord]]) -> OcrResult:
    """`result` with more lines of words (page coordinates) put in reading order: each
    before the first line that starts lower on the page."""
    groups = lines_of(result)
    block = max((word.block for word in result.words), default=0)
    for number, line in enumerate(sorted(lines, key=lambda ws: min(w.top for w in ws)), 1):
        top = min(word.top for word in line)
        at = next((i for i, group in enumerate(groups)
                   if min(w.top for w in group) > top), len(groups))
        groups.insert(at, [replace(word, block=block + number, line=1) for word in line])
    rows = [((word.block, 0, word.line), word) for group in groups for word in group]
    words = [word for _, word in rows]
    return OcrResult(text=_join_text(rows), words=words, languages=result.languages,
                     mean_confidence=sum(w.confidence for w in words) / len(words),
                     line_confidences=_line_confidences(rows))


def lines_of(result: OcrResult) -> list[list[OcrWord]]:
    """The words of each line of `result.text` that holds words, in order."""
    groups: list[list[OcrWord]] = []
    for word in result.words:
        if groups and (groups[-1][0].block, groups[-1][0].line) == (word.block, word.line):
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def readable_text_check(result: OcrResult, *, min_words: int = 3,
                        min_confidence: float = 30.0) -> None:
    """Raise PROCESSING_FAILED unless at least `min_words` words are read with confidence.

    A word counts when its confidence is at least `min_confidence` and it holds a letter
    or digit: on a blank or noisy image Tesseract still "reads" a few low-confidence
    specks and punctuation.
    """
    readable = [word for word in result.words if word.confidence >= min_confidence
                and any(char.isalnum() for char in word.text)]
    if len(readable) < min_words:
        raise ConveyorError(
            ErrorCode.PROCESSING_FAILED,
            f"No readable text found in the image: {len(readable)} word(s) recognised with "
            f"confidence >= {min_confidence:g}, at least {min_words} needed. Upload a sharper, "
            "well-lit image with the text upright.",
        )


def _word_rows(data: dict[str, list[Any]]) -> list[tuple[tuple[int, int, int], OcrWord]]:
    """((block, paragraph, line) key, word) for every recognised word, in reading order."""
    rows: list[tuple[tuple[int, int, int], OcrWord]] = []
    line_numbers: dict[tuple[int, int, int], int] = {}
    lines_per_block: dict[int, int] = {}
    for i, raw_text in enumerate(data["text"]):
        text, confidence = str(raw_text).strip(), float(data["conf"][i])
        if confidence < 0 or not text:  # -1: page/block/paragraph/line layout rows
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        if key not in line_numbers:
            lines_per_block[key[0]] = line_numbers[key] = lines_per_block.get(key[0], 0) + 1
        rows.append((key, OcrWord(
            text=text, confidence=confidence, left=int(data["left"][i]),
            top=int(data["top"][i]), width=int(data["width"][i]),
            height=int(data["height"][i]), block=key[0], line=line_numbers[key])))
    return rows


def _join_text(rows: list[tuple[tuple[int, int, int], OcrWord]]) -> str:
    """Words joined by spaces, lines by newlines, paragraphs and blocks by a blank line."""
    parts: list[str] = []
    previous: tuple[int, int, int] | None = None
    for key, word in rows:
        if previous is None:
            parts.append(word.text)
        elif key == previous:
            parts.append(" " + word.text)
        else:
            same_paragraph = key[:2] == previous[:2]
            parts.append(("\n" if same_paragraph else "\n\n") + word.text)
        previous = key
    return "".join(parts)


def _line_confidences(rows: list[tuple[tuple[int, int, int], OcrWord]]) -> list[float]:
    by_line: dict[tuple[int, int, int], list[float]] = {}
    for key, word in rows:
        by_line.setdefault(key, []).append(word.confidence)
    return [sum(values) / len(values) for values in by_line.values()]


@contextmanager
def _image_file(image: np.ndarray) -> Iterator[str]:
    """The image as an uncompressed PNM file for Tesseract to read. Handing pytesseract the
    array makes it encode a PNG: ~9 ms of the worker's ~116 ms of Python per receipt in a
    py-spy profile of bench/receipts_pipeline, against ~1 ms for PNM."""
    picture = _to_pil(image)
    with tempfile.TemporaryDirectory(prefix="conveyor-ocr-") as folder:
        path = os.path.join(folder, "page.pgm" if picture.mode == "L" else "page.ppm")
        picture.save(path)
        yield path


def _to_pil(image: np.ndarray) -> Image.Image:
    """numpy gray/BGR/BGRA uint8 -> Pillow image (pytesseract would take BGR for RGB)."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return Image.fromarray(np.ascontiguousarray(image[:, :, 2::-1]))
    if image.ndim == 2:
        return Image.fromarray(image)
    raise ValueError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")


@lru_cache(maxsize=1)
def _installed_languages() -> frozenset[str]:
    try:
        return frozenset(pytesseract.get_languages())
    except TesseractNotFoundError as exc:
        raise _tesseract_missing() from exc


def _check_languages(languages: str) -> None:
    wanted = [name for name in languages.split("+") if name]
    missing = [name for name in wanted if name not in _installed_languages()]
    if not wanted or missing:
        raise ConveyorError(
            ErrorCode.INTERNAL,
            f"Tesseract language data missing for {'+'.join(missing) or repr(languages)}; "
            f"{_INSTALL_HINT}.",
        )


def _run(function: Callable[..., Any], image: Image.Image | str, **kwargs: Any) -> Any:
    """Call a pytesseract function, turning its failures into ConveyorErrors."""
    try:
        return function(image, **kwargs)
    except TesseractNotFoundError as exc:
        raise _tesseract_missing() from exc
    except TesseractError as exc:
        if any(marker in str(exc.message) for marker in _LANGUAGE_ERRORS):
            raise ConveyorError(ErrorCode.INTERNAL, f"Tesseract could not load its language "
                                f"data ({exc.message}); {_INSTALL_HINT}.") from exc
        raise ConveyorError(ErrorCode.PROCESSING_FAILED,
                            f"Tesseract could not process the image: {exc.message}") from exc
    # TesseractError is a RuntimeError, so this comes after it: on timeout pytesseract
    # kills the process and raises a plain RuntimeError.
    except RuntimeError as exc:
        if "timeout" not in str(exc).lower():
            raise
        raise ConveyorError(ErrorCode.TIMEOUT, f"OCR took longer than "
                            f"{kwargs.get('timeout')} seconds and was stopped.") from exc


def _tesseract_missing() -> ConveyorError:
    return ConveyorError(ErrorCode.INTERNAL,
                         f"The Tesseract OCR program is not installed or not on PATH; "
                         f"{_INSTALL_HINT}.")
