"""What results look like to a person: rich tables and summaries, one function each."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from conveyor_client.models import (
    ColourMatch,
    CrawlResult,
    Job,
    JobEvent,
    JobList,
    Page,
    PageTask,
    PdfResult,
    ReceiptStatus,
    TransferTask,
)

_STATUS_STYLES = {"completed": "green", "SUCCESS": "green", "failed": "red", "FAILURE": "red",
                  "cancelled": "yellow", "REVOKED": "yellow"}


def status(word: str) -> Text:
    return Text(word, style=_STATUS_STYLES.get(word, "cyan"))


def job_list(listing: JobList) -> RenderableType:
    table = Table(title=f"{listing.total} jobs" if listing.total != 1 else "1 job",
                  title_justify="left")
    for name in ("ID", "Kind", "Status"):
        table.add_column(name, no_wrap=True)
    table.add_column("Progress")
    table.add_column("File", overflow="fold")
    table.add_column("Created", no_wrap=True)
    for job in listing.jobs:
        step = f" {job.current_step}" if job.current_step and not job.ended else ""
        table.add_row(str(job.id), job.kind, status(job.status),
                      f"{job.progress_percent}%{step}", escape(job.original_filename or ""),
                      _when(job.created_at, seconds=False))
    shown = listing.offset + len(listing.jobs)
    if shown < listing.total:
        table.caption = f"{shown} of {listing.total}: --offset {shown} for more"
    return table


def job_detail(job: Job) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, Any]] = [
        ("Job", f"{job.id} ({job.kind}, uuid {job.uuid})"), ("Status", status(job.status)),
        ("Progress", f"{job.progress_percent}%  {job.current_step or ''}"),
        ("File", job.original_filename), ("Pages", job.page_count),
        ("Chunks", f"{job.processed_chunks}/{job.total_chunks} done, {job.active_chunks} "
                   f"running, {job.failed_chunk_count} failed"),
        ("Credits", _credits(job)), ("Created", _when(job.created_at)),
        ("Finished", _when(job.finished_at)),
        ("Time", _seconds(job.processing_time_seconds)),
        ("Error", job.error and f"{job.error} ({job.error_type})")]
    for name, value in rows:
        if value not in (None, ""):
            table.add_row(name, value if isinstance(value, Text) else escape(str(value)))
    return table


def job_started(job: Job) -> RenderableType:
    """A job just submitted, and how to follow it."""
    return Group(job_detail(job), Text(f"Follow it: conveyor jobs wait {job.id}", "dim"))


def job_done(job: Job, *, output: Path | None = None) -> RenderableType:
    """A finished job's summary: what it produced and where to get it."""
    lines: list[RenderableType] = [Text.assemble(
        ("✔ ", "green"), f"Job {job.id} {job.status}",
        f" in {_seconds(job.processing_time_seconds)}" if job.processing_time_seconds else "",
        f": {job.original_filename}" if job.original_filename else "")]
    if isinstance(job.result, PdfResult):
        lines += _pdf_lines(job, job.result)
    elif isinstance(job.result, CrawlResult):
        lines.append(f"  {job.result.downloaded_images} images kept "
                     f"(conveyor jobs result {job.id} lists them)")
    lines.append(f"  Credits: {_credits(job)}")
    if output is not None:
        lines.append(f"  Written to {escape(str(output))}")
    elif isinstance(job.result, PdfResult):
        lines.append(f"  Sentences: conveyor jobs result {job.id} -o out.txt")
    return Group(*lines)


def _pdf_lines(job: Job, result: PdfResult) -> list[RenderableType]:
    lines: list[RenderableType] = [
        f"  {job.page_count} pages, {result.sentence_count} sentences"
        + (f", {len(result.ocr_pages)} pages read by OCR" if result.ocr_pages else "")]
    if job.failed_chunks:
        lines.append(Text(f"  {job.failed_chunk_count} chunks failed: "
                          + "; ".join(c.error or "?" for c in job.failed_chunks), "yellow"))
    lines += [Text(f"  warning: {warning}", "yellow") for warning in result.warnings]
    return lines


def events(listing: list[JobEvent]) -> RenderableType:
    table = Table("ID", "Time", "Event", "Chunk", "Change", "Detail")
    for event in listing:
        table.add_row(*event_cells(event))
    return table


def event_cells(event: JobEvent) -> tuple[str, ...]:
    change = f"{event.from_status or ''} → {event.to_status}" if event.to_status else ""
    detail = ", ".join(f"{k}={v}" for k, v in event.detail.items())
    chunk = "" if event.chunk_index is None else str(event.chunk_index)
    when = event.created_at.astimezone().strftime("%H:%M:%S.%f")[:-3]
    return (str(event.id), when, event.event_type,
            chunk, change, escape(detail))


def receipt(status_: ReceiptStatus) -> RenderableType:
    fields = status_.result or {}
    table = Table("Field", "Value", "Confidence",
                  title=f"Receipt {status_.job_id}: {status_.status}", title_justify="left")
    for name, value in fields.items():
        if isinstance(value, dict) and "value" in value:
            table.add_row(name, escape(_text(value["value"])),
                          _confidence(value.get("confidence"), fraction=True))
    items = fields.get("items") or []
    parts: list[RenderableType] = [table]
    if items:
        parts.append(_receipt_items(items))
    parts += [Text(f"warning: {w}", "yellow") for w in fields.get("warnings") or []]
    return Group(*parts)


def _receipt_items(items: list[dict[str, Any]]) -> RenderableType:
    table = Table("Item", "Quantity", "Unit price", "Amount", "Confidence",
                  title=f"{len(items)} items", title_justify="left")
    for item in items:
        table.add_row(escape(str(item.get("name") or "")), _text(item.get("quantity")),
                      _text(item.get("unit_price")), _text(item.get("amount")),
                      _confidence(item.get("confidence"), fraction=True))
    return table


def pages(task: PageTask, listing: list[Page], *, output: Path | None) -> RenderableType:
    table = Table("Page", "File", "Status", "Confidence", "Words", "Error",
                  title=f"Project {listing[0].project_id if listing else '?'}, task "
                        f"{task.task_id}: {task.status}, {task.current}/{task.total} pages",
                  title_justify="left")
    for page in listing:
        table.add_row(str(page.page_number), escape(page.original_filename or ""),
                      status(page.ocr_status), _confidence(page.ocr_confidence),
                      "" if page.word_count is None else str(page.word_count),
                      escape(page.ocr_error or ""))
    if output is None:
        return table
    return Group(table, f"Text written to {escape(str(output))}")


def colour_match(matched: ColourMatch) -> RenderableType:
    table = Table("", "RAL", "Name", "Hex", "ΔE", title=f"Nearest to {matched.input.hex} "
                  f"({matched.formula})", title_justify="left")
    for match in matched.matches:
        table.add_row(Text("   ", style=f"on {match.hex}"), match.code, match.name,
                      match.hex, f"{match.delta_e:.2f}")
    return table


def transfer(task: TransferTask, *, output: Path) -> RenderableType:
    result = task.result
    size = f"{result.width}x{result.height}" if result else "?"
    quality = (result.qc_report if result else {}) or {}
    delta = quality.get("mean_delta_e") or quality.get("delta_e_mean")
    return Text.assemble(("✔ ", "green"), f"Recoloured ({size}) written to {output}",
                         f", mean ΔE {delta:.2f}" if isinstance(delta, int | float) else "")


def _credits(job: Job) -> str:
    charged = "not yet settled" if job.charged_credits is None else f"{job.charged_credits} charged"
    return f"{job.reserved_credits} reserved, {charged}"


def _seconds(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.1f} s"


def _confidence(value: Any, *, fraction: bool = False) -> str:
    """A confidence as a percentage; receipts give theirs from 0 to 1, OCR from 0 to 100."""
    if not isinstance(value, int | float):
        return ""
    return f"{value * 100 if fraction else value:.0f}%"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _when(moment: datetime | None, *, seconds: bool = True) -> str:
    """A timestamp in the local time zone."""
    shape = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return "" if moment is None else moment.astimezone().strftime(shape)
