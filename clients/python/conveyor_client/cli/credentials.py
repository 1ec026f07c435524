"""Where `conveyor login` keeps its tokens, and which server and token a command uses.

The file (`$XDG_CONFIG_HOME/conveyor/credentials`, else `~/.config/conveyor/credentials`)
holds a token per server URL and the URL logged in to last. It is written with mode 0600
in a directory of mode 0700: a bearer token is a password for as long as it lives.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"
TOKEN_ENV = "CONVEYOR_TOKEN"
URL_ENV = "CONVEYOR_URL"


@dataclass(frozen=True, kw_only=True)
class Profile:
    """The server a command talks to and the token it sends (None: not logged in).
    `token_source` says where the token came from, for error messages."""

    url: str
    token: str | None
    token_source: str | None


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "conveyor" / "credentials"


def resolve(url: str | None) -> Profile:
    """`url` (from --url or CONVEYOR_URL), else the server logged in to last, else the
    local default; the token from CONVEYOR_TOKEN, else the one stored for that server.
    A token is only ever sent to the server that issued it."""
    stored = _load()
    chosen = normalise_url(url or stored.get("default_url") or DEFAULT_URL)
    if os.environ.get(TOKEN_ENV):
        return Profile(url=chosen, token=os.environ[TOKEN_ENV], token_source=TOKEN_ENV)
    entry = stored.get("servers", {}).get(chosen) or {}
    token = entry.get("token") if isinstance(entry, dict) else None
    source = str(credentials_path()) if token else None
    return Profile(url=chosen, token=token, token_source=source)


def save_login(*, url: str, email: str, token: str) -> Path:
    """Store the token for `url` and make it the default server; the file's path."""
    stored = _load()
    servers = stored.get("servers")
    servers = servers if isinstance(servers, dict) else {}
    servers[normalise_url(url)] = {"email": email, "token": token}
    path = credentials_path()
    _write_private(path, {"default_url": normalise_url(url), "servers": servers})
    return path


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


def _load() -> dict[str, Any]:
    """The stored logins; an unreadable or malformed file counts as none (the next
    `conveyor login` writes it anew)."""
    try:
        document = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _write_private(path: Path, document: dict[str, Any]) -> None:
    """Write the file so that it is never readable by others, not even for a moment:
    a new file created 0600 in a 0700 directory, then renamed over the old one."""
    path.parent.parent.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:  # mkstemp: 0600
            json.dump(document, handle, indent=2)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    os.chmod(path, 0o600)
