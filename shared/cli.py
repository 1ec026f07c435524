"""`conveyor`: the operator's command line (migrations, credits, admins, the local stack)."""

import argparse
import getpass
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.settings import get_settings

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conveyor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    grant = sub.add_parser("grant-credits", help="add credits to a user's account")
    grant.add_argument("email")
    grant.add_argument("amount", type=int)
    grant.add_argument("--note")
    admin = sub.add_parser("create-admin",
                           help="create an administrator (password from "
                                "CONVEYOR_ADMIN_PASSWORD or a prompt)")
    admin.add_argument("email")
    run = sub.add_parser("run", help="migrate and start the whole system on this machine")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="gateway port")
    run.add_argument("--jobs-port", type=int, default=8001, help="job service port")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "migrate":
        migrate()
        return 0
    if args.command == "grant-credits":
        if args.amount <= 0:
            print("amount must be a positive whole number", file=sys.stderr)
            return 2
        return grant_credits(args.email, args.amount, args.note)
    if args.command == "create-admin":
        return create_admin(args.email)
    from services.local_stack import run_local_stack

    migrate()
    return run_local_stack(host=args.host, gateway_port=args.port, jobs_port=args.jobs_port)


if __name__ == "__main__":
    sys.exit(main())
