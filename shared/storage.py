"""Files on the shared data volume, always under generated names.

Paths stored in the database are relative to DATA_DIR, so the gateway and the workers
can mount the volume at different places.
"""

import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from shared.errors import ConveyorError, ErrorCode, too_large
from shared.settings import get_settings

_COPY_BLOCK = 1024 * 1024
_WRITTEN_KEY = "storage_files_written"


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    relative_path: str
    size: int
    sha256: str
    head: bytes  # the first bytes, for content sniffing

    @property
    def path(self) -> Path:
        return absolute(self.relative_path)


def absolute(relative_path: str) -> Path:
    """The file's place under DATA_DIR; 404 for a path that would lead outside it."""
    root = _resolved_root(get_settings().data_dir)
    # normpath folds "..": a string check, no file-system calls on the hot path.
    path = os.path.normpath(os.path.join(root, relative_path))
    if not path.startswith(root + os.sep):
        raise ConveyorError(ErrorCode.NOT_FOUND, "file not found")
    return Path(path)


@lru_cache(maxsize=8)
def _resolved_root(data_dir: Path) -> str:
    return str(data_dir.resolve())


def new_relative_path(area: str, suffix: str) -> str:
    return f"{area}/{uuid.uuid4().hex}{suffix}"


async def save_stream(chunks: AsyncIterator[bytes], *, area: str, suffix: str,
                      max_bytes: int) -> StoredFile:
    """Write a stream to a new file, hashing as it goes; 413 past `max_bytes`."""
    relative_path = new_relative_path(area, suffix)
    path = absolute(relative_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with path.open("wb") as out:
            async for block in chunks:
                size += len(block)
                if size > max_bytes:
                    raise too_large(max_bytes)
                head = head or block[:1024]
                digest.update(block)
                out.write(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(relative_path=relative_path, size=size, sha256=digest.hexdigest(),
                      head=head)


def write_bytes(area: str, suffix: str, data: bytes) -> str:
    relative_path = new_relative_path(area, suffix)
    path = absolute(relative_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative_path


def write_bytes_in(session: Session, area: str, suffix: str, data: bytes) -> str:
    """write_bytes for a file that a row of `session`'s transaction will refer to: it is
    deleted again if that transaction rolls back, a failed commit included."""
    relative_path = write_bytes(area, suffix, data)
    session.info.setdefault(_WRITTEN_KEY, []).append(relative_path)
    return relative_path


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_WRITTEN_KEY, None)


@event.listens_for(Session, "after_rollback")
def _delete_written_files(session: Session) -> None:
    for relative_path in session.info.pop(_WRITTEN_KEY, ()):
        delete(relative_path)


def delete(relative_path: str | None) -> None:
    if relative_path:
        absolute(relative_path).unlink(missing_ok=True)


def remove_older_than(area: str, *, max_age_seconds: float,
                      keep: set[str] | frozenset[str] = frozenset()) -> int:
    """Delete files in `area` older than the age limit, except the relative paths in `keep`."""
    folder = absolute(area)
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_age_seconds
    removed = 0
    for entry in os.scandir(folder):
        relative_path = f"{area}/{entry.name}"
        if entry.is_file() and entry.stat().st_mtime < cutoff and relative_path not in keep:
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed
