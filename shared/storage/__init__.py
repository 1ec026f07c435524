"""Uploads and results, always under generated names, in the store STORAGE_BACKEND picks.

`local` (the embedded default) keeps them as files under DATA_DIR; `s3` keeps them in a
bucket of an S3-compatible store, so the gateway and the workers need no shared disk.
Keys ("uploads/3f2a….pdf") are what the database stores.

The gateway receives an upload into a *staged* file (`save_stream`): it can inspect it
there, give it the suffix its content deserves, and `publish` it before any job refers
to it. With `local` the staged file already is the stored one.
Workers read inputs with `local_file` (a cached copy under `s3`) or `read_bytes`, and
write results with `write_bytes` / `write_bytes_in`.
"""

import contextlib
import hashlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from shared.errors import too_large
from shared.settings import Settings, get_settings
from shared.storage.cache import LocalCopies
from shared.storage.local import LocalStore
from shared.storage.s3 import S3Store
from shared.storage.spares import SpareFiles
from shared.storage.store import ObjectMissing, ObjectStore, StorageUnavailable

__all__ = ["UPLOADS_AREA", "ObjectMissing", "ObjectStore", "StorageUnavailable", "StoredFile",
           "backend", "delete", "discard", "local_file", "publish", "read_bytes",
           "remove_older_than", "save_stream", "with_suffix", "write_bytes", "write_bytes_in"]

log = logging.getLogger(__name__)

_WRITTEN_KEY = "storage_files_written"
STAGING_DIR = "staging"
# Uploads that jobs refer to; swept once no job needs them (`remove_older_than`).
UPLOADS_AREA = "uploads"
CACHE_DIR = "cache"


@dataclass(frozen=True, kw_only=True)
class StoredFile:
    """An upload received by the gateway: its key, and (until published) its staged file."""

    relative_path: str  # the key
    size: int
    sha256: str
    head: bytes  # the first bytes, for content sniffing

    @property
    def path(self) -> Path:
        """The staged file, for inspection before `publish`."""
        return staged_path(self.relative_path)


def backend() -> ObjectStore:
    settings = get_settings()
    return _backend(settings.storage_backend, settings.data_dir, *_s3_settings(settings))


def _s3_settings(settings: Settings) -> tuple[str | None, ...]:
    secret = settings.s3_secret_access_key
    return (settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region,
            settings.s3_access_key_id, secret.get_secret_value() if secret else None,
            settings.s3_public_endpoint_url)


@lru_cache(maxsize=4)
def _backend(kind: str, data_dir: Path, bucket: str, endpoint_url: str | None, region: str,
             access_key_id: str | None, secret_access_key: str | None,
             public_endpoint_url: str | None) -> ObjectStore:
    if kind == "s3":
        return S3Store(bucket=bucket, endpoint_url=endpoint_url, region=region,
                       access_key_id=access_key_id, secret_access_key=secret_access_key,
                       public_endpoint_url=public_endpoint_url)
    return LocalStore(data_dir)


# A client's connection pool must not be shared with a forked child (prefork workers).
os.register_at_fork(after_in_child=_backend.cache_clear)


def _is_local() -> bool:
    return get_settings().storage_backend == "local"


def new_relative_path(area: str, suffix: str) -> str:
    return f"{area}/{uuid.uuid4().hex}{suffix}"


# --- uploads, staged then published (the gateway) -----------------------------------------

def staged_path(key: str) -> Path:
    """Where an upload waits before `publish`: with `local`, its final place."""
    local = LocalStore(get_settings().data_dir)
    return local.path_of(key if _is_local() else f"{STAGING_DIR}/{key}")


# Empty staged files made ahead, for the uploads the sweep of old files looks after.
_SPARES = SpareFiles(keep=16, new_key=new_relative_path, place=staged_path)


async def save_stream(chunks: AsyncIterator[bytes], *, area: str, suffix: str,
                      max_bytes: int) -> StoredFile:
    """Write a stream to a new staged file, hashing as it goes; 413 past `max_bytes`."""
    relative_path, out = _new_staged_file(area, suffix)
    path = staged_path(relative_path)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with out:
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


def _new_staged_file(area: str, suffix: str) -> tuple[str, BinaryIO]:
    """A new empty staged file, open for writing: a spare if one is ready (`spares`)."""
    spare = _SPARES.take(area, suffix) if area == UPLOADS_AREA else None
    if spare is not None:
        with contextlib.suppress(FileNotFoundError):  # swept away meanwhile
            return spare, open(os.open(staged_path(spare), os.O_WRONLY), "wb")
    relative_path = new_relative_path(area, suffix)
    path = staged_path(relative_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return relative_path, path.open("wb")


def with_suffix(stored: StoredFile, suffix: str) -> StoredFile:
    """The staged upload renamed with the extension its content turned out to have."""
    renamed = replace(stored, relative_path=stored.relative_path + suffix)
    os.replace(stored.path, renamed.path)
    return renamed


def staged_in_place() -> bool:
    """Whether a staged upload already is the stored file (`local`): `publish` then has
    nothing to do, and a caller on an event loop need not hand it to a thread."""
    return _is_local()


def publish(stored: StoredFile) -> None:
    """Put the staged upload into the store, where workers find it (blocking: call it
    off the event loop). A no-op with `local`, where it already is."""
    if _is_local():
        return
    backend().put_file(stored.relative_path, stored.path)
    stored.path.unlink(missing_ok=True)


def sweep_staging(max_age_seconds: float) -> int:
    """Remove staged uploads a crashed request left behind; how many were removed."""
    if _is_local():
        return 0
    root = staged_path("x").parent
    cutoff, removed = time.time() - max_age_seconds, 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


# --- reading and writing objects (workers, downloads, cleanup) ----------------------------

def local_file(key: str) -> Path:
    """The object as a file on this machine: itself with `local`, else a cached copy
    (keys are never reused, so a copy never goes stale). ObjectMissing if it is gone."""
    store = backend()
    path = store.local_path(key)
    if path is not None:
        return path
    settings = get_settings()
    return _copies(settings.data_dir / CACHE_DIR,
                   settings.storage_cache_max_bytes).path_for(store, key)


@lru_cache(maxsize=4)
def _copies(root: Path, max_bytes: int) -> LocalCopies:
    return LocalCopies(root, max_bytes=max_bytes)


def read_bytes(key: str) -> bytes:
    return backend().get_bytes(key)


def write_bytes(area: str, suffix: str, data: bytes) -> str:
    """Store `data` under a new key in `area`; returns the key."""
    relative_path = new_relative_path(area, suffix)
    backend().put_bytes(relative_path, data)
    return relative_path


def write_bytes_in(session: Session, area: str, suffix: str, data: bytes) -> str:
    """write_bytes for an object that a row of `session`'s transaction will refer to: it
    is deleted again if that transaction rolls back, a failed commit included."""
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
    """Remove the object, and the staged upload of that key if one is left."""
    if not relative_path:
        return
    if not _is_local():
        staged_path(relative_path).unlink(missing_ok=True)
    backend().delete(relative_path)


def discard(relative_path: str | None) -> None:
    """`delete` for the clean-up of a refused or failed request: it must not replace the
    error being answered, so a store that is down only leaves the object behind (logged;
    the uploads sweep removes it with the rest)."""
    try:
        delete(relative_path)
    except StorageUnavailable:
        log.warning("could not remove %s: the object store is unavailable", relative_path)


def remove_older_than(area: str, *, max_age_seconds: float,
                      keep: set[str] | frozenset[str] = frozenset()) -> int:
    """Delete the objects in `area` older than the age limit, except the keys in `keep`."""
    store = backend()
    removed = 0
    for key in list(store.keys_older_than(area, time.time() - max_age_seconds)):
        if key not in keep:
            store.delete(key)
            removed += 1
    return removed
