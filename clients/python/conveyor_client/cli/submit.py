"""`conveyor submit pdf|receipt|pages`: send work, and with --wait follow it to its end."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor_client.cli import render
from conveyor_client.cli.options import (
    InputFile,
    JsonOption,
    OutputFile,
    TimeoutOption,
    UrlOption,
    WaitOption,
)
from conveyor_client.cli.output import Session, session
from conveyor_client.cli.waiting import Work, follow
from conveyor_client.models import Job, Page, Project

app = typer.Typer(name="submit", no_args_is_help=True,
                  help="Send a PDF, a receipt photo or scanned pages to be processed.")


class Model(StrEnum):
    balanced = "balanced"
    quality = "quality"
    speed = "speed"


class Ocr(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class TextEngine(StrEnum):
    pypdf = "pypdf"
    pdfium = "pdfium"


@app.command("pdf")
def submit_pdf(
    file: InputFile,
    wait: WaitOption = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False, help="Write the sentences there, one a line "
        "(implies --wait).")] = None,
    model: Annotated[Model | None, typer.Option(help="The LLM tier.")] = None,
    ocr: Annotated[Ocr | None, typer.Option(help="Read scanned pages with OCR.")] = None,
    engine: Annotated[TextEngine | None, typer.Option(
        help="What reads the text layers (the server's PDF_TEXT_ENGINE by default).")] = None,
    ignore_dialogue: Annotated[bool | None, typer.Option(
        "--ignore-dialogue/--keep-dialogue")] = None,
    fix_hyphenation: Annotated[bool | None, typer.Option(
        "--fix-hyphenation/--no-fix-hyphenation")] = None,
    preserve_formatting: Annotated[bool | None, typer.Option(
        "--preserve-formatting/--no-preserve-formatting")] = None,
    sentence_length_limit: Annotated[int | None, typer.Option(min=1)] = None,
    min_sentence_length: Annotated[int | None, typer.Option(min=1)] = None,
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """A PDF to sentences: upload it (its pages' credits are reserved) and start it."""
    options: dict[str, Any] = {
        "gemini_model": model and model.value, "ocr": ocr and ocr.value,
        "text_engine": engine and engine.value,
        "ignore_dialogue": ignore_dialogue, "fix_hyphenation": fix_hyphenation,
        "preserve_formatting": preserve_formatting,
        "sentence_length_limit": sentence_length_limit,
        "min_sentence_length": min_sentence_length}
    given = {name: value for name, value in options.items() if value is not None}
    with session(url, as_json=as_json) as current:
        job = current.client.pdf.submit(file, wait=False, **given)
        if not (wait or output):
            current.out.result(job, render.job_started(job))
            return
        job = follow_job(current, job.id, timeout=timeout)
        if output is not None:
            output.write_text(current.client.pdf.result_text(job.id), encoding="utf-8")
        current.out.result(job, render.job_done(job, output=output))


@app.command("receipt")
def submit_receipt(file: InputFile, wait: WaitOption = False, timeout: TimeoutOption = None,
                   url: UrlOption = None, as_json: JsonOption = False) -> None:
    """A receipt photo to its fields (merchant, date, items, total ...), one credit."""
    with session(url, as_json=as_json) as current:
        receipts = current.client.receipts
        submitted = receipts.submit(file)
        if not wait:
            current.out.result(submitted, f"Receipt {submitted.job_id}: {submitted.status}")
            return
        work = Work(label=f"receipt {submitted.job_id}", work_id=submitted.job_id,
                    cancel=lambda client: client.receipts.cancel(submitted.job_id))
        status = follow(current, work, lambda on_progress: receipts.wait(
            submitted.job_id, on_progress=on_progress, timeout=timeout))
        current.out.result(status, render.receipt(status))


@app.command("pages")
def submit_pages(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True,
                                                help="Page images or PDFs, in order.")],
    project: Annotated[int | None, typer.Option(
        "--project", "-p", help="Add the pages to this project (else a new one).")] = None,
    name: Annotated[str | None, typer.Option(help="The new project's name.")] = None,
    wait: WaitOption = False,
    output: OutputFile = None,
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Scanned pages to text: add them to a project and read them all in one batch task
    (a credit a page). -o writes their text, page after page (implies --wait)."""
    with session(url, as_json=as_json) as current:
        pages = current.client.pages
        target = pages.get_project(project) if project else pages.create_project(
            name or f"conveyor submit {datetime.now():%Y-%m-%d %H:%M}")
        added = _upload_pages(current, target, files)
        task = pages.process_batch(target.id, [page.id for page in added], wait=False)
        if wait or output:
            work = Work(label=f"page task {task.task_id}", work_id=task.task_id,
                        cancel=lambda client: client.pages.cancel(task.task_id))
            task = follow(current, work, lambda on_progress: pages.wait(
                task.task_id, on_progress=on_progress, timeout=timeout))
        ids = {page.id for page in added}
        read = [p for p in pages.list_pages(target.id).pages if p.id in ids]
        if output is not None:
            _write_pages_text(current, read, output)
        current.out.result({"project": target, "task": task, "pages": read},
                           render.pages(task, read, output=output))


def follow_job(current: Session, job_id: int, *, timeout: float | None) -> Job:
    """Follow a job of any kind by its integer id to its end, with a progress bar."""
    jobs = current.client.jobs
    work = Work(label=f"job {job_id}", work_id=job_id,
                cancel=lambda client: client.jobs.cancel(job_id),
                cancel_command=f"conveyor jobs cancel {job_id}")
    return follow(current, work, lambda on_progress: jobs.wait(
        job_id, on_progress=on_progress, timeout=timeout))


def _upload_pages(current: Session, project: Project, files: list[Path]) -> list[Page]:
    """Upload each file as the next page(s), numbered after the project's last page."""
    pages = current.client.pages
    existing = pages.list_pages(project.id).pages if project.page_count else []
    number = max((page.page_number for page in existing), default=0) + 1
    added: list[Page] = []
    for file in files:
        uploaded = pages.upload(project.id, file, page_number=number).pages
        added += uploaded
        number = max(page.page_number for page in uploaded) + 1
    return added


def _write_pages_text(current: Session, read: list[Page], output: Path) -> None:
    texts = [current.client.pages.result_text(page.project_id, page.id)
             for page in read if page.ocr_status == "completed"]
    output.write_text("\f\n".join(text.rstrip("\n") + "\n" for text in texts),
                      encoding="utf-8")
