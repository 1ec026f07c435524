"""Local copies of stored objects for a worker that needs a file on disk (PDFium, pypdf,
OpenCV): each object is fetched once per machine, then read from disk. A PDF's chunks
all read the same upload; its second chunk costs no download."""

import hashlib
import os
import time
import uuid
from pathlib import Path

from shared.storage.store import ObjectStore

# A copy used this recently is left alone by eviction, so a chunk that has just fetched
# its input never finds it gone (the cache may exceed its size for that long).
_IN_USE_SECONDS = 60.0


class LocalCopies:
    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path_for(self, store: ObjectStore, key: str) -> Path:
        name = hashlib.sha256(key.encode()).hexdigest()[:40] + Path(key).suffix
        target = self.root / name
        if target.is_file():
            os.utime(target)  # recently used: evicted last
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f".{name}.{uuid.uuid4().hex[:8]}.partial"
        try:
            store.download(key, partial)
            os.replace(partial, target)  # a concurrent reader sees it whole or not at all
        finally:
            partial.unlink(missing_ok=True)
        self._evict(keep=target)
        return target

    def _evict(self, *, keep: Path) -> None:
        """Least recently used copies out until the rest fit in max_bytes."""
        entries = [(entry.stat().st_mtime, entry.stat().st_size, Path(entry.path))
                   for entry in os.scandir(self.root)
                   if entry.is_file() and not entry.name.startswith(".")]
        total = sum(size for _, size, _ in entries)
        in_use_since = time.time() - _IN_USE_SECONDS
        for mtime, size, path in sorted(entries):
            if total <= self.max_bytes or mtime > in_use_since:
                break
            if path != keep:
                path.unlink(missing_ok=True)
                total -= size
