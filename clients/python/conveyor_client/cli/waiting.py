"""Waiting for work with a live progress bar, and what Ctrl+C does meanwhile.

Ctrl+C while waiting asks whether to cancel the work. With --json, or without a terminal
to ask on, nothing is asked: the work keeps running and its id is printed, so a script
can pick it up (`conveyor jobs show ID`) or cancel it later. Either way the command
exits 130.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import NoReturn, TypeVar

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.prompt import Confirm

from conveyor_client.cli.output import ExitCode, Session
from conveyor_client.client import Conveyor
from conveyor_client.errors import ConveyorError
from conveyor_client.progress import ProgressSnapshot
from conveyor_client.steps import ProgressCallback

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Work:
    """What is waited for: `label` names it to a person ("job 12"); `cancel` cancels it
    with the client given (None: it cannot be); `cancel_command` does so later, from the
    shell."""

    label: str
    work_id: int | str
    cancel: Callable[[Conveyor], object] | None = None
    cancel_command: str | None = None


def follow(session: Session, work: Work, wait: Callable[[ProgressCallback], T]) -> T:
    """`wait(on_progress)`'s answer, drawing its progress; Ctrl+C offers to cancel."""
    try:
        with ProgressDisplay(session, work.label) as display:
            return wait(display.update)
    except KeyboardInterrupt:
        interrupted(session, work)


class ProgressDisplay:
    """A live bar with the step on a terminal; a line per change on a pipe; nothing
    with --json."""

    def __init__(self, session: Session, label: str) -> None:
        self._out, self._label = session.out, label
        self._live = session.out.err.is_terminal and not session.out.as_json
        self._progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            TaskProgressColumn(), TextColumn("{task.fields[step]}"), TimeElapsedColumn(),
            console=session.out.err)
        self._task = self._progress.add_task(label, total=100, step="waiting")
        self._last_line = ""

    def __enter__(self) -> ProgressDisplay:
        if self._live:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._live:
            self._progress.stop()

    def update(self, snapshot: ProgressSnapshot) -> None:
        step = snapshot.step or snapshot.status
        if self._live:
            self._progress.update(self._task, completed=snapshot.percent, step=step)
            return
        line = f"{self._label}: {snapshot.percent}% {step}"
        if line != self._last_line:  # a status change alone is no news on a pipe
            self._last_line = line
            self._out.note(line)


def interrupted(session: Session, work: Work) -> NoReturn:
    out = session.out
    if work.cancel is not None and _may_ask(session) and _confirm(session, work):
        try:
            _cancel(session, work.cancel)
        except ConveyorError as refused:  # it ended meanwhile, say
            out.note(f"[yellow]{work.label} was not cancelled:[/] {refused.detail}")
        else:
            out.note(f"{work.label} cancelled.")
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if out.as_json:
        out.write_json({"interrupted": True, "id": work.work_id, "cancelled": False})
    else:
        later = f" (`{work.cancel_command}` cancels it)" if work.cancel_command else ""
        out.err.print(f"Interrupted: {work.label} keeps running{later}.")
        out.out.print(str(work.work_id))
    raise typer.Exit(int(ExitCode.INTERRUPTED))


def _cancel(session: Session, cancel: Callable[[Conveyor], object]) -> None:
    """Cancel on a new connection: the interrupted one may have been cut mid-answer."""
    profile = session.profile
    with Conveyor(profile.url, token=profile.token) as client:
        cancel(client)


def _may_ask(session: Session) -> bool:
    return not session.out.as_json and sys.stdin.isatty()


def _confirm(session: Session, work: Work) -> bool:
    try:
        return Confirm.ask(f"\nCancel {work.label}?", default=False, console=session.out.err)
    except (KeyboardInterrupt, EOFError):  # a second Ctrl+C, or no answer: keep it
        return False
