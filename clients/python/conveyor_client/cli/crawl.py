"""`conveyor crawl start`: collect images for keywords (seed 004)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from conveyor_client.cli import render
from conveyor_client.cli.options import JsonOption, TimeoutOption, UrlOption, WaitOption
from conveyor_client.cli.output import session
from conveyor_client.cli.submit import follow_job

app = typer.Typer(name="crawl", no_args_is_help=True, help="Image crawls.")


class Engine(StrEnum):
    web = "web"
    bing = "bing"
    google = "google"


@app.command("start")
def start(
    keywords: Annotated[list[str], typer.Argument(help="What to look for.")],
    max_images: Annotated[int, typer.Option(
        "--max-images", "-n", min=1, help="Images at most; as many credits are reserved, "
        "only the images kept are charged.")] = 20,
    engines: Annotated[list[Engine] | None, typer.Option(
        "--engine", "-e", help="web (needs --seed-url), bing, google; repeat for several "
        "(default: the server's).")] = None,
    seed_urls: Annotated[list[str] | None, typer.Option(
        "--seed-url", help="A page to start the web crawl from; repeat for several.")] = None,
    name: Annotated[str | None, typer.Option(help="The crawl's name.")] = None,
    max_depth: Annotated[int | None, typer.Option(min=0, help="Links followed deep.")] = None,
    max_pages: Annotated[int | None, typer.Option(min=1, help="Pages read at most.")] = None,
    same_host: Annotated[bool | None, typer.Option(
        "--same-host/--any-host", help="Follow links on the seed's host only.")] = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a crawl job and start it; with --wait, follow it to its end."""
    with session(url, as_json=as_json) as current:
        crawl = current.client.crawl.create(
            keywords, max_images=max_images, engines=[e.value for e in engines or []] or None,
            seed_urls=seed_urls or None, name=name, max_depth=max_depth, max_pages=max_pages,
            same_host=same_host)
        current.client.crawl.start(crawl.id)
        if not wait:
            job = current.client.jobs.get(crawl.id)
            current.out.result(job, render.job_started(job))
            return
        job = follow_job(current, crawl.id, timeout=timeout)
        current.out.result(job, render.job_done(job))
