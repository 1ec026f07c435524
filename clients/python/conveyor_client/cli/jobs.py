"""`conveyor jobs ls|show|wait|cancel|finalize|events|result`: jobs of any kind, by id."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor_client.cli import render
from conveyor_client.cli.options import JsonOption, OutputFile, TimeoutOption, UrlOption
from conveyor_client.cli.output import ExitCode, Session, as_document, session
from conveyor_client.cli.submit import follow_job
from conveyor_client.models import Job

app = typer.Typer(name="jobs", no_args_is_help=True, help="Your jobs, of every kind.")
JobId = Annotated[int, typer.Argument(help="The job's id (conveyor jobs ls lists them).")]


class Status(StrEnum):
    pending = "pending"
    processing = "processing"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class Kind(StrEnum):
    pdf = "pdf"
    receipt = "receipt"
    page_ocr = "page_ocr"
    page_batch = "page_batch"
    color_transfer = "color_transfer"
    crawl = "crawl"
    validation = "validation"


@app.command("ls")
def list_jobs(
    status: Annotated[Status | None, typer.Option("--status", "-s")] = None,
    kind: Annotated[Kind | None, typer.Option("--kind", "-k")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Your jobs, newest first."""
    with session(url, as_json=as_json) as current:
        listing = current.client.jobs.list(status=status and status.value,
                                           kind=kind and kind.value, limit=limit,
                                           offset=offset)
        current.out.result(listing, render.job_list(listing))


@app.command("show")
def show(job_id: JobId, url: UrlOption = None, as_json: JsonOption = False) -> None:
    """A job's status document: status, progress, step, credits, error."""
    with session(url, as_json=as_json) as current:
        job = current.client.jobs.get(job_id)
        current.out.result(job, render.job_detail(job))


@app.command("wait")
def wait(job_id: JobId, timeout: TimeoutOption = None, url: UrlOption = None,
         as_json: JsonOption = False) -> None:
    """Follow a job to its end with a progress bar (exit 1 if it fails)."""
    with session(url, as_json=as_json) as current:
        job = follow_job(current, job_id, timeout=timeout)
        current.out.result(job, render.job_done(job))


@app.command("cancel")
def cancel(job_id: JobId, url: UrlOption = None, as_json: JsonOption = False) -> None:
    """Cancel a pending or processing job; its reserved credits come back."""
    with session(url, as_json=as_json) as current:
        cancelled = current.client.jobs.cancel(job_id)
        current.out.result(cancelled, f"Job {cancelled.job_id} {cancelled.status} "
                           f"({cancelled.revoked_tasks} tasks revoked).")


@app.command("finalize")
def finalize(job_id: JobId, url: UrlOption = None, as_json: JsonOption = False) -> None:
    """Settle a completed job: charge what it used, release the rest of its reservation
    (done by itself a day after it completed)."""
    with session(url, as_json=as_json) as current:
        settled = current.client.jobs.finalize(job_id)
        current.out.result(settled, f"Job {settled.job_id}: {settled.charged_credits} credits "
                           f"charged, {settled.released_credits} released.")


@app.command("events")
def events(
    job_id: JobId,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="Keep printing events as they happen, until the job ends "
        "(with --json: one JSON object a line).")] = False,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """The job's event log: status changes, attempts, steps, credits."""
    with session(url, as_json=as_json) as current:
        if follow:
            _follow_events(current, job_id)
            return
        listing = current.client.jobs.events(job_id)
        current.out.result(listing, render.events(listing.events))


@app.command("result")
def result(
    job_id: JobId,
    output: OutputFile = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """A completed job's result: a PDF's sentences (one a line), a colour transfer's image
    (with -o), the fields, pages or images of the other kinds (as JSON)."""
    with session(url, as_json=as_json) as current:
        job = current.client.jobs.get(job_id)
        if job.kind == "pdf":
            _pdf_result(current, job, output)
        elif job.kind == "color_transfer" and output is not None:
            _colour_result(current, job, output)
        else:
            _document_result(current, job, output)


def _pdf_result(current: Session, job: Job, output: Path | None) -> None:
    client, out = current.client, current.out
    if out.as_json and output is None:
        out.result(client.jobs.result(job.id))
        return
    text = client.jobs.result_text(job.id)
    if output is None:
        out.out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        return
    output.write_text(text, encoding="utf-8")
    lines = text.count("\n")
    out.result({"job_id": job.id, "output": str(output), "sentences": lines},
               f"{lines} sentences written to {output}")


def _colour_result(current: Session, job: Job, output: Path) -> None:
    task = current.client.color.task(job.uuid)
    if task.result is None:
        current.out.fail(ExitCode.FAILED, f"colour transfer {job.uuid} is {task.state}: "
                         f"there is no image", error_type="INVALID_STATE", job=task)
    output.write_bytes(current.client.color.download(task.result.downloads["result"]))
    current.out.result({"job_id": job.id, "output": str(output)},
                       render.transfer(task, output=output))


def _document_result(current: Session, job: Job, output: Path | None) -> None:
    """The result of the kinds whose results have their own routes, as JSON."""
    document = as_document(_kind_result(current, job))
    if output is None:
        current.out.write_json(document)
        return
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    current.out.result({"job_id": job.id, "output": str(output)},
                       f"The {job.kind} job's result written to {output}")


def _kind_result(current: Session, job: Job) -> Any:
    client = current.client
    if job.kind == "receipt":
        return client.receipts.status(job.uuid).result
    if job.kind in ("page_ocr", "page_batch"):
        return client.pages.task(job.uuid).result
    if job.kind == "color_transfer":
        return client.color.task(job.uuid).result
    if job.kind == "crawl":
        return client.crawl.images(job.id, limit=200)
    return job.result


def _follow_events(current: Session, job_id: int) -> None:
    out = current.out
    for event in current.client.jobs.stream(job_id):
        if out.as_json:
            out.write_json_line(as_document(event))
        else:
            out.out.print("  ".join(cell for cell in render.event_cells(event) if cell))
