"""`conveyor`, the command-line client: `pip install 'conveyor-client[cli]'`."""

import sys


def main() -> None:
    """The console script: the client verbs, or a hint when the [cli] extra is missing."""
    try:
        from conveyor_client.cli.app import app
    except ModuleNotFoundError as missing:
        if missing.name not in ("typer", "rich"):
            raise
        sys.stderr.write("conveyor: the command needs the [cli] extra: "
                         "pip install 'conveyor-client[cli]'\n")
        sys.exit(2)
    app(prog_name="conveyor")
