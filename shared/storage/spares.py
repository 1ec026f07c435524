"""Empty staged files under generated names, made ahead of the uploads that fill them.

Making a file (its inode) waits on the filesystem's journal, and on a disk shared with
Postgres every commit's flush holds that journal: under load a create took 0.6-0.85 ms
here, against 0.02 ms on an idle disk, while filling a file that already exists took
0.03 ms. The gateway makes its uploads' files on its event loop, where such a wait stalls
every request in flight; a thread of this module makes them beforehand instead.

A spare is used only while young (`MAX_AGE_SECONDS`), long before any sweep of old files
(10 minutes and more) could take it from under an upload; older ones are removed. One
that disappeared anyway is not used: the caller makes its own file, as without spares.
"""

import atexit
import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 60.0


class SpareFiles:
    """Up to `keep` empty files per (area, suffix), made by a daemon thread once fewer
    than half are left. `new_key(area, suffix)` names a file; `place(key)` is its path."""

    def __init__(self, *, keep: int, new_key: Callable[[str, str], str],
                 place: Callable[[str], Path], max_age_seconds: float = MAX_AGE_SECONDS
                 ) -> None:
        self._keep = keep
        self._new_key = new_key
        self._place = place
        self._max_age_seconds = max_age_seconds
        # Per (area, suffix), oldest first: (key, when it was made, time.monotonic()).
        self._spares: dict[tuple[str, str], deque[tuple[str, float]]] = {}
        self._stale: deque[str] = deque()
        self._wanted = threading.Event()
        self._starting = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failing = False

    def take(self, area: str, suffix: str) -> str | None:
        """The key of an empty file made for (area, suffix), or None when none is ready
        (the first ask, or the thread falling behind): the caller makes its own."""
        spares = self._spares.get((area, suffix))
        key = None
        while spares and key is None:
            key, made_at = spares.popleft()
            if time.monotonic() - made_at > self._max_age_seconds:
                self._stale.append(key)
                key = None
        if spares is None or len(spares) < self._keep // 2:
            self._want(area, suffix)
        return key

    def discard_all(self) -> None:
        """Remove the files not taken (at exit)."""
        self._drop_aged(max_age_seconds=-1.0)
        self._remove_stale()

    def _want(self, area: str, suffix: str) -> None:
        with self._starting:
            self._spares.setdefault((area, suffix), deque())
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="spare-files")
                self._thread.start()
                atexit.register(self.discard_all)
        self._wanted.set()

    def _run(self) -> None:
        while True:
            wanted = self._wanted.wait(timeout=self._max_age_seconds / 2)
            self._wanted.clear()
            self._drop_aged(max_age_seconds=self._max_age_seconds)
            self._remove_stale()
            if wanted:  # an idle gateway keeps no spares: its next upload asks again
                self._make_spares()

    def _drop_aged(self, *, max_age_seconds: float) -> None:
        now = time.monotonic()
        for spares in list(self._spares.values()):
            while spares and now - spares[0][1] > max_age_seconds:
                with contextlib.suppress(IndexError):  # taken meanwhile
                    self._stale.append(spares.popleft()[0])

    def _remove_stale(self) -> None:
        while self._stale:
            self._place(self._stale.popleft()).unlink(missing_ok=True)

    def _make_spares(self) -> None:
        for (area, suffix), spares in list(self._spares.items()):
            try:
                while len(spares) < self._keep:
                    spares.append((self._make(area, suffix), time.monotonic()))
            except OSError as exc:  # a full or read-only disk: each upload makes its own
                if not self._failing:
                    log.warning("cannot make spare upload files: %s", exc)
                self._failing = True
            else:
                self._failing = False

    def _make(self, area: str, suffix: str) -> str:
        key = self._new_key(area, suffix)
        path = self._place(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        return key
