"""STORAGE_BACKEND=local: objects are files under DATA_DIR (the embedded default)."""

import os
import shutil
import uuid
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from shared.errors import ConveyorError, ErrorCode
from shared.storage.store import ObjectMissing

_BLOCK = 1024 * 1024


class LocalStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        """The file's place under the root; 404 for a key that would lead outside it."""
        root = _resolved(self.root)
        # normpath folds "..": a string check, no file-system calls on the hot path.
        path = os.path.normpath(os.path.join(root, key))
        if not path.startswith(root + os.sep):
            raise ConveyorError(ErrorCode.NOT_FOUND, "file not found")
        return Path(path)

    def put_file(self, key: str, source: Path) -> None:
        target = self.path_of(key)
        if source != target:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            partial.write_bytes(data)
            os.replace(partial, target)  # whole or absent, never half-written
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def get_bytes(self, key: str) -> bytes:
        try:
            return self.path_of(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectMissing(key) from None

    def download(self, key: str, target: Path) -> None:
        try:
            shutil.copyfile(self.path_of(key), target)
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    def blocks(self, key: str) -> tuple[int, Iterator[bytes]]:
        try:
            file = self.path_of(key).open("rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        size = os.fstat(file.fileno()).st_size

        def read() -> Iterator[bytes]:
            with file:
                while block := file.read(_BLOCK):
                    yield block
        return size, read()

    def local_path(self, key: str) -> Path | None:
        path = self.path_of(key)
        if not path.is_file():
            raise ObjectMissing(key)
        return path

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def keys_older_than(self, prefix: str, cutoff: float) -> Iterator[str]:
        folder = self.path_of(prefix.rstrip("/"))
        if not folder.is_dir():
            return
        for entry in os.scandir(folder):
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                yield f"{prefix.rstrip('/')}/{entry.name}"

    def presigned_url(self, key: str, *, filename: str, media_type: str,
                      expires_seconds: int) -> str | None:
        return None

    def check(self) -> None:
        return None


@lru_cache(maxsize=8)
def _resolved(root: Path) -> str:
    return str(root.resolve())
