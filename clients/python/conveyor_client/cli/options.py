"""Options every client verb takes, and the parsers of values the server names its own way."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor_client.cli.credentials import URL_ENV

UrlOption = Annotated[str | None, typer.Option(
    "--url", envvar=URL_ENV, show_envvar=True,
    help="The server (default: the last one logged in to, else http://127.0.0.1:8000).")]
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print one JSON document, no progress bar, no colour: for scripts.")]
WaitOption = Annotated[bool, typer.Option(
    "--wait", "-w", help="Follow it to its end with a progress bar, then sum it up.")]
TimeoutOption = Annotated[float | None, typer.Option(
    "--timeout", min=0, help="Stop waiting after this many seconds (the work goes on).")]
InputFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
OutputFile = Annotated[Path | None, typer.Option(
    "--output", "-o", dir_okay=False, writable=True, help="Write the result to this file.")]

_RAL = re.compile(r"^\s*(?:RAL)?\s*-?\s*(\d{4})\s*$", re.IGNORECASE)
_HEX = re.compile(r"^\s*#?([0-9a-f]{6}|[0-9a-f]{3})\s*$", re.IGNORECASE)
_RGB = re.compile(r"^\s*(?:rgb)?\(?\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)?\s*$",
                  re.IGNORECASE)


def ral_code(text: str) -> str:
    """'RAL3000', 'ral 3000' and '3000' as the palette names it: 'RAL 3000'."""
    match = _RAL.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r} is not a RAL Classic code (e.g. RAL3000 or "
                                 f"'RAL 3000')")
    return f"RAL {match.group(1)}"


def colour_query(text: str) -> dict[str, Any]:
    """A colour as `color.match` takes it: '#A52019' or 'A52019' (hex), 'RAL 3000' or
    'RAL3000' (a RAL code), '165,32,25' (RGB)."""
    if _RAL.match(text) and not _HEX.match(text):
        return {"ral": ral_code(text)}
    if hexadecimal := _HEX.match(text):
        return {"hex": f"#{hexadecimal.group(1).upper()}"}
    if rgb := _RGB.match(text):
        channels = [int(c) for c in rgb.groups()]
        if all(c <= 255 for c in channels):
            return {"rgb": channels}
    raise typer.BadParameter(f"{text!r} is not a colour: give '#A52019', 'RAL 3000' or "
                             f"'165,32,25'")
