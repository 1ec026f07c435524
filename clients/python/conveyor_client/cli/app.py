"""The client verbs of the `conveyor` command, as a Typer app.

`add_client_verbs(app)` puts them on any Typer app: this package's own `conveyor`
(`pip install 'conveyor-client[cli]'`) and the server repository's, which has the
operator verbs too.
"""

from __future__ import annotations

import typer

from conveyor_client.cli import color, crawl, jobs, submit
from conveyor_client.cli.login import login, whoami

HELP = """Conveyor from the command line: sign in, submit work and follow it.

Exit codes: 0 done, 1 the job failed or the server refused, 2 usage, 3 not logged in or
refused credentials, 4 server unreachable, 130 interrupted."""


def add_client_verbs(app: typer.Typer, *, panel: str | None = None) -> None:
    app.command("login", rich_help_panel=panel)(login)
    app.command("whoami", rich_help_panel=panel)(whoami)
    for group in (submit.app, jobs.app, color.app, crawl.app):
        app.add_typer(group, rich_help_panel=panel)


def build_app() -> typer.Typer:
    # Tracebacks without locals: they would show tokens and passwords.
    app = typer.Typer(name="conveyor", help=HELP, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_show_locals=False, rich_markup_mode="markdown")
    add_client_verbs(app)
    return app


app = build_app()
