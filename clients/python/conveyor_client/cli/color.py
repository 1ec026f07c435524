"""`conveyor color match|transfer`: RAL matching and recolouring a photo (seed 000)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from conveyor_client.cli import render
from conveyor_client.cli.options import (
    InputFile,
    JsonOption,
    OutputFile,
    TimeoutOption,
    UrlOption,
    colour_query,
    ral_code,
)
from conveyor_client.cli.output import session
from conveyor_client.cli.waiting import Work, follow

app = typer.Typer(name="color", no_args_is_help=True,
                  help="RAL colours: match a colour, recolour a photo.")


class Formula(StrEnum):
    CIEDE2000 = "CIEDE2000"
    CIE94 = "CIE94"
    CIE76 = "CIE76"


@app.command("match")
def match(
    colour: Annotated[str, typer.Argument(
        help="'#A52019', 'RAL 3000' (or RAL3000) or '165,32,25'.")],
    top: Annotated[int, typer.Option("--top", "-n", min=1, max=50)] = 5,
    formula: Formula = Formula.CIEDE2000,
    group: Annotated[str | None, typer.Option(help="Only this RAL group (e.g. red).")] = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """The RAL Classic colours nearest to a colour, with their Delta E."""
    query = colour_query(colour)
    with session(url, as_json=as_json) as current:
        matched = current.client.color.match(**query, top_n=top, formula=formula.value,
                                             group=group)
        current.out.result(matched, render.colour_match(matched))


@app.command("transfer")
def transfer(
    image: InputFile,
    ral: Annotated[str, typer.Argument(help="The target colour: RAL3000 or 'RAL 3000'.")],
    output: OutputFile = None,
    strength: Annotated[float, typer.Option(min=0.0, max=1.0)] = 1.0,
    full_size: Annotated[bool, typer.Option(
        "--full-size", help="Recolour at full resolution (slower).")] = False,
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recolour a photo toward a RAL colour (2 credits) and save the result as PNG
    (-o, default IMAGE-RAL3000.png next to the photo)."""
    code = ral_code(ral)
    target = output or image.with_name(f"{image.stem}-{code.replace(' ', '')}.png")
    with session(url, as_json=as_json) as current:
        colours = current.client.color
        upload = colours.upload(image)
        task = colours.transfer(upload.job_id, code, wait=False, strength=strength,
                                downsample=not full_size)
        # Transfers take seconds and have no cancel of their own: Ctrl+C leaves it.
        work = Work(label=f"colour transfer {task.task_id}", work_id=task.task_id)
        task = follow(current, work, lambda on_progress: colours.wait(
            task.task_id, on_progress=on_progress, timeout=timeout))
        assert task.result is not None  # wait raises unless it succeeded
        target.write_bytes(colours.download(task.result.downloads["result"]))
        current.out.result({"task": task, "output": str(target)},
                           render.transfer(task, output=target))
