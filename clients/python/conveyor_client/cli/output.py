"""What a command prints, and the exit code each way of ending gives.

Human output goes to the terminal through rich: results on stdout, progress and errors on
stderr. With `--json` stdout carries exactly one JSON document, the result or
`{"error": {...}}` (with the failed job's last document in `job`), with no colour and no
progress, and the exit code says which it is.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console, RenderableType
from rich.markup import escape

from conveyor_client.cli.credentials import Profile, resolve
from conveyor_client.client import Conveyor
from conveyor_client.errors import ConveyorConnectionError, ConveyorError, JobFailed


class ExitCode(IntEnum):
    DONE = 0
    FAILED = 1  # the job failed, or the server refused the request
    USAGE = 2  # what the command line asked makes no sense (typer's own code too)
    AUTH = 3  # not logged in, or the token or password was refused (401, 403)
    UNREACHABLE = 4  # no answer from the server
    INTERRUPTED = 130  # Ctrl+C: the job was cancelled or left running, as answered


class NotLoggedIn(Exception):
    """No token for the server: neither CONVEYOR_TOKEN nor a stored login."""


def as_document(value: Any) -> Any:
    """Models (in dicts and lists too) as the JSON the API sent, field aliases included."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, dict):
        return {key: as_document(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_document(item) for item in value]
    return value


class Output:
    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    def result(self, document: Any, human: RenderableType | None = None) -> None:
        """The command's result: `document` as JSON with --json, else `human`."""
        if self.as_json:
            self.write_json(as_document(document))
        elif human is not None:
            self.out.print(human)

    def write_json(self, document: Any) -> None:
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def write_json_line(self, document: Any) -> None:
        """One JSON object on one line: a stream of them (JSON Lines)."""
        sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def note(self, message: str) -> None:
        """A remark for a person (never in --json output); rich markup allowed."""
        if not self.as_json:
            self.err.print(message)

    def fail(self, code: ExitCode, message: str, *, error_type: str,
             status: int | None = None, job: Any = None) -> NoReturn:
        if self.as_json:
            error = {"error_type": error_type, "status": status, "detail": message}
            self.write_json({"error": error, "job": as_document(job)})
        else:
            self.err.print(f"[bold red]Error:[/] {escape(message)}")
        raise typer.Exit(int(code))


@dataclass(frozen=True, kw_only=True)
class Session:
    """One command's client, output and the server and token it uses."""

    client: Conveyor
    out: Output
    profile: Profile


@contextmanager
def session(url: str | None, *, as_json: bool, authenticated: bool = True
            ) -> Iterator[Session]:
    """A client for the command, its errors turned into messages and exit codes."""
    out, profile = Output(as_json=as_json), resolve(url)
    with reporting_errors(out, profile):
        if authenticated and profile.token is None:
            raise NotLoggedIn(f"not logged in to {profile.url}: run `conveyor login` "
                              f"or set CONVEYOR_TOKEN")
        with Conveyor(profile.url, token=profile.token) as client:
            yield Session(client=client, out=out, profile=profile)


@contextmanager
def reporting_errors(out: Output, profile: Profile) -> Iterator[None]:
    try:
        yield
    except NotLoggedIn as missing:
        out.fail(ExitCode.AUTH, str(missing), error_type="NOT_LOGGED_IN")
    except JobFailed as failed:
        out.fail(ExitCode.FAILED, failed.detail, error_type=failed.error_type, job=failed.job)
    except ConveyorConnectionError as unreachable:
        out.fail(ExitCode.UNREACHABLE, f"cannot reach the Conveyor server at {profile.url} "
                 f"({unreachable.detail})", error_type=unreachable.error_type)
    except ConveyorError as refused:
        if refused.status in (401, 403):
            out.fail(ExitCode.AUTH, _refused_credentials(refused, profile),
                     error_type=refused.error_type, status=refused.status)
        where = f", HTTP {refused.status}" if refused.status is not None else ""
        out.fail(ExitCode.FAILED, f"{refused.detail} ({refused.error_type}{where})",
                 error_type=refused.error_type, status=refused.status)


def _refused_credentials(error: ConveyorError, profile: Profile) -> str:
    if error.status == 403:
        return f"{error.detail} (HTTP 403: this account may not do that)"
    where = f"the token from {profile.token_source}" if profile.token_source else "the login"
    return (f"{profile.url} refused {where}: {error.detail} (HTTP 401). "
            f"Run `conveyor login` to sign in again.")
