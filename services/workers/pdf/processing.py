"""One PDF chunk: read its pages (text layer or OCR), clean and segment, optionally rewrite."""

from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.workers.pdf.engines import TextDocument, TextEngine, open_document
from services.workers.pdf.llm import LLMConfig, LLMError, SentenceRewriter, build_rewriter
from services.workers.pdf.page_kinds import OcrMode
from services.workers.pdf.reading import PageReport, read_page
from services.workers.pdf.settings import get_pdf_settings
from services.workers.pdf.text import TextOptions, chunk_sentences
from shared import storage
from shared.errors import ConveyorError, ErrorCode, TransientError
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput


def process_pdf_chunk(context: ChunkContext) -> ChunkOutput:
    spec = context.spec
    texts, report = _read_pages(context)
    if not report.text_found and OcrMode.of(context.params) is not OcrMode.NEVER:
        # Every page was looked at, OCR included: an empty result would only hide that.
        raise ConveyorError(ErrorCode.PROCESSING_FAILED, report.nothing_found(
            first_page=spec["first_page"], last_page=spec["last_page"]))
    sentences = chunk_sentences(texts, first_read_page=spec["read_first_page"],
                                first_page=spec["first_page"], last_page=spec["last_page"],
                                options=text_options(context.params))
    sentences, llm_metrics = _rewrite(sentences, context)
    return ChunkOutput(result={"items": sentences},
                       metrics={"pages": spec["last_page"] - spec["first_page"] + 1,
                                **llm_metrics, **report.metrics()})


def _read_pages(context: ChunkContext) -> tuple[list[str], PageReport]:
    """The texts of the pages the chunk reads (its own and the overlap), and what its own
    pages gave. A heartbeat after each page, which also stops the chunk once the job is
    cancelled: an OCR'd page takes about a second."""
    spec, mode = context.spec, OcrMode.of(context.params)
    path = _input_file(context.input_path)
    document = _open(path, TextEngine.of(context.params))
    texts: list[str] = []
    report = PageReport()
    for number in range(spec["read_first_page"], spec["read_last_page"] + 1):
        owned = spec["first_page"] <= number <= spec["last_page"]
        page = read_page(document, path, number, mode=mode, owned=owned)
        texts.append(page.text)
        if owned:
            report.add(page, mode)
        context.report(max(0, min(number, spec["last_page"]) - spec["first_page"] + 1))
    return texts, report


def text_options(params: dict[str, Any]) -> TextOptions:
    known = {f.name for f in fields(TextOptions)}
    return TextOptions(**{k: v for k, v in params.items() if k in known})


def _input_file(relative_path: str | None) -> Path:
    """The upload on this machine's disk (fetched from the store once per machine)."""
    if not relative_path:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the job has no uploaded PDF")
    return storage.local_file(relative_path)


def _open(path: Path, engine: TextEngine) -> TextDocument:
    stat = path.stat()
    return _document(path, engine, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=2)
def _document(path: Path, engine: TextEngine, _size: int, _mtime_ns: int) -> TextDocument:
    """Open a PDF once per worker process and engine: a job's next chunks usually land on
    the same worker, and parsing a large file's cross-reference table is not free. Size
    and mtime are part of the key so a replaced file is read again. A PDFium document
    dropped from the cache is closed when the last reference to it goes."""
    return open_document(path, engine)


@lru_cache
def _rewriter() -> SentenceRewriter:
    # One rewriter (one connection pool) per worker process.
    settings = get_pdf_settings()
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return build_rewriter(LLMConfig(provider=settings.llm_provider, base_url=settings.llm_base_url,
                                    api_key=key, timeout_seconds=settings.llm_timeout_seconds,
                                    batch_size=settings.llm_batch_size))


def _rewrite(sentences: list[str], context: ChunkContext) -> tuple[list[str], dict[str, int]]:
    """Send sentences to the rewrite provider batch by batch, checking for cancel between."""
    calls = tokens = 0
    settings = get_pdf_settings()
    if settings.llm_provider == "none":
        return sentences, {"gemini_api_calls": 0, "gemini_tokens_used": 0}
    tier = context.params.get("gemini_model") or "balanced"
    rewritten: list[str] = []
    for start in range(0, len(sentences), settings.llm_batch_size):
        context.report(context.units_total)
        try:
            result = _rewriter().rewrite(sentences[start:start + settings.llm_batch_size],
                                         model_tier=tier)
        except LLMError as exc:
            if exc.transient:
                raise TransientError(str(exc)) from exc
            raise ConveyorError(ErrorCode.PROCESSING_FAILED,
                                f"the rewrite step failed: {exc}") from exc
        rewritten.extend(result.sentences)
        calls, tokens = calls + result.api_calls, tokens + result.tokens_used
    return rewritten, {"gemini_api_calls": calls, "gemini_tokens_used": tokens}
