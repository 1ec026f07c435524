"""`conveyor`: the operator's verbs (migrations, credits, admins, the local stack) and,
where the Python SDK is installed, the client's (login, submit, jobs, color, crawl)."""

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from alembic import command
from alembic.config import Config

from shared.settings import get_settings

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
OPERATOR_PANEL = "Operator verbs (on the server's machine, with its settings)"
CLIENT_PANEL = "Client verbs (over HTTP, as a user)"


def migrate(database_url: str | None = None) -> None:
    """Bring the schema to the newest migration."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = Config(str(ALEMBIC_INI))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url)
    command.upgrade(config, "head")


def grant_credits(email: str, amount: int, note: str | None) -> int:
    from shared.auth import repository as users
    from shared.credits import ledger
    from shared.db import session_scope

    with session_scope() as session:
        user = users.get_by_email(session, email)
        if user is None:
            print(f"no user with email {email}", file=sys.stderr)
            return 1
        balance = ledger.grant(session, user_id=user.id, amount=amount,
                               note=note or "granted from the command line")
    print(f"{email}: {balance.available} credits available, {balance.reserved} reserved")
    return 0


def create_admin(email: str) -> int:
    from shared.auth.accounts import create_user
    from shared.db import session_scope

    password = os.environ.get("CONVEYOR_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    if len(password) < 8:
        print("the password needs at least 8 characters", file=sys.stderr)
        return 1
    with session_scope() as session:
        user = create_user(session, email=email, password=password,
                           signup_credits=get_settings().signup_credits, is_admin=True)
    print(f"admin {user.email} created (id {user.id})")
    return 0


def migrate_command() -> None:
    """Apply database migrations (alembic upgrade head)."""
    migrate()


def grant_credits_command(email: str, amount: int,
                          note: Annotated[str | None, typer.Option()] = None) -> None:
    """Add credits to a user's account."""
    if amount <= 0:
        print("amount must be a positive whole number", file=sys.stderr)
        raise typer.Exit(2)
    raise typer.Exit(grant_credits(email, amount, note))


def create_admin_command(email: str) -> None:
    """Create an administrator (password from CONVEYOR_ADMIN_PASSWORD or a prompt)."""
    raise typer.Exit(create_admin(email))


def run_command(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(help="gateway port")] = 8000,
    jobs_port: Annotated[int, typer.Option(help="job service port")] = 8001,
) -> None:
    """Migrate and start the whole system on this machine."""
    from services.local_stack import run_local_stack

    migrate()
    raise typer.Exit(run_local_stack(host=host, gateway_port=port, jobs_port=jobs_port))


def build_app() -> typer.Typer:
    # Tracebacks without locals: they would show passwords and tokens.
    app = typer.Typer(name="conveyor", help=__doc__, no_args_is_help=True,
                      add_completion=False, pretty_exceptions_show_locals=False,
                      rich_markup_mode="markdown")
    for name, verb in (("migrate", migrate_command), ("grant-credits", grant_credits_command),
                       ("create-admin", create_admin_command), ("run", run_command)):
        app.command(name, rich_help_panel=OPERATOR_PANEL)(verb)
    _add_client_verbs(app)
    return app


def _add_client_verbs(app: typer.Typer) -> None:
    """The SDK's client verbs, when it is installed. The server images carry no SDK (they
    run only the operator verbs), so it is imported here, not with the module."""
    try:
        from conveyor_client.cli.app import add_client_verbs
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith("conveyor_client"):
            raise
        return
    add_client_verbs(app, panel=CLIENT_PANEL)


app = build_app()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; its exit code."""
    try:
        app(args=argv, prog_name="conveyor")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
