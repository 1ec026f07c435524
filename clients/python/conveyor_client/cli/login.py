"""`conveyor login`: sign in (or up) and keep the token for the next commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from conveyor_client.cli.credentials import save_login
from conveyor_client.cli.options import JsonOption, UrlOption
from conveyor_client.cli.output import ExitCode, session
from conveyor_client.errors import ConveyorError


def login(
    email: Annotated[str | None, typer.Option(
        "--email", "-e", help="Your account's email (asked for when not given).")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin.")] = False,
    register: Annotated[bool, typer.Option(
        "--register", help="Create the account first.")] = False,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sign in and store the token (mode 0600) in ~/.config/conveyor/credentials."""
    email = email or _ask("Email")
    password = _password(from_stdin=password_stdin, confirm=register)
    with session(url, as_json=as_json, authenticated=False) as current:
        client, out = current.client, current.out
        if register:
            client.register(email, password)
        try:
            token = client.login(email, password)
        except ConveyorError as refused:
            if refused.status != 401:
                raise
            out.fail(ExitCode.AUTH, f"{current.profile.url} refused the login: "
                     f"{refused.detail}", error_type=refused.error_type, status=401)
        user = client.me()
        path = save_login(url=current.profile.url, email=email, token=token.access_token)
        out.result({"url": current.profile.url, "email": user.email, "user_id": user.id,
                    "credits": user.credits.available, "expires_in": token.expires_in,
                    "credentials_file": str(path)},
                   f"Logged in to {escape(current.profile.url)} as {escape(user.email)} "
                   f"({user.credits.available} credits available). "
                   f"Token saved in {escape(str(path))}.")


def _ask(what: str) -> str:
    if not sys.stdin.isatty():
        raise typer.BadParameter(f"{what.lower()} not given and no terminal to ask on: "
                                 f"use --email")
    return str(typer.prompt(what))


def _password(*, from_stdin: bool, confirm: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = str(typer.prompt("Password", hide_input=True,
                                    confirmation_prompt=confirm))
    else:
        raise typer.BadParameter("no terminal to ask for the password on: use "
                                 "--password-stdin", param_hint="--password-stdin")
    if not password:
        raise typer.BadParameter("the password is empty", param_hint="--password-stdin")
    return password


def whoami(url: UrlOption = None, as_json: JsonOption = False) -> None:
    """The account the command signs in as (stored login or CONVEYOR_TOKEN), its credits."""
    with session(url, as_json=as_json) as current:
        user, profile = current.client.me(), current.profile
        current.out.result(
            {"url": profile.url, "token_source": profile.token_source, "user": user},
            f"{escape(user.email)} (id {user.id}) on {escape(profile.url)}: "
            f"{user.credits.available} credits available, {user.credits.reserved} reserved "
            f"(token from {escape(profile.token_source or '?')})")
