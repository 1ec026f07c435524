"""Staged files made ahead of the uploads that fill them (shared/storage/spares.py), on
the real filesystem with the real thread."""

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from shared import storage
from shared.errors import ConveyorError
from shared.storage.spares import SpareFiles


def _eventually(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the spare-files thread did not get there"
        time.sleep(0.01)


def _spares_in(directory: Path, *, keep: int = 4, max_age_seconds: float = 60.0
               ) -> SpareFiles:
    return SpareFiles(keep=keep, new_key=lambda area, suffix: f"{area}/{uuid.uuid4().hex}{suffix}",
                      place=lambda key: directory / key, max_age_seconds=max_age_seconds)


def _files(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


def test_the_first_ask_makes_spares_and_later_ones_get_empty_files(tmp_path):
    spares = _spares_in(tmp_path, keep=4)
    assert spares.take("uploads", ".pdf") is None  # none made yet: the caller makes its own
    _eventually(lambda: len(_files(tmp_path)) == 4)

    taken = [spares.take("uploads", ".pdf") for _ in range(3)]

    assert len(set(taken)) == 3 and all(key is not None for key in taken)
    assert all(key.startswith("uploads/") and key.endswith(".pdf") for key in taken)
    assert all((tmp_path / key).stat().st_size == 0 for key in taken)
    # One left, fewer than half: the thread makes up to four again, besides those taken.
    _eventually(lambda: len(_files(tmp_path)) == 3 + 4)


def test_each_area_and_suffix_has_spares_of_its_own(tmp_path):
    spares = _spares_in(tmp_path, keep=2)
    spares.take("uploads", ".pdf")
    spares.take("uploads", "")
    _eventually(lambda: len(_files(tmp_path)) == 4)
    pdf, other = spares.take("uploads", ".pdf"), spares.take("uploads", "")
    assert pdf is not None and pdf.endswith(".pdf")
    assert other is not None and not other.endswith(".pdf")


def test_old_spares_are_not_given_out_but_removed(tmp_path):
    spares = _spares_in(tmp_path, keep=2, max_age_seconds=0.3)
    spares.take("uploads", ".pdf")
    _eventually(lambda: len(_files(tmp_path)) == 2)
    made = _files(tmp_path)
    time.sleep(0.4)

    assert spares.take("uploads", ".pdf") is None
    _eventually(lambda: not made & _files(tmp_path))  # gone; new ones may have been made


def test_spares_not_taken_are_removed_at_exit(tmp_path):
    spares = _spares_in(tmp_path, keep=3)
    spares.take("uploads", ".pdf")
    _eventually(lambda: len(_files(tmp_path)) == 3)
    kept = spares.take("uploads", ".pdf")

    spares.discard_all()

    assert _files(tmp_path) == {kept}


def test_a_disk_that_refuses_new_files_leaves_the_callers_to_make_their_own(tmp_path, caplog):
    (tmp_path / "uploads").write_text("a file where the directory should be")
    spares = _spares_in(tmp_path, keep=2)
    with caplog.at_level(logging.WARNING, logger="shared.storage.spares"):
        for _ in range(3):
            assert spares.take("uploads", ".pdf") is None
            time.sleep(0.05)
    warnings = [r for r in caplog.records if "cannot make spare upload files" in r.message]
    assert len(warnings) == 1  # once, not once per upload


# --- through save_stream, as the gateway stores an upload ----------------------------------

def _blocks(*parts: bytes) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for part in parts:
            yield part
    return gen()


def _stage(content: bytes, *, area: str = storage.UPLOADS_AREA) -> storage.StoredFile:
    return asyncio.run(storage.save_stream(_blocks(content), area=area, suffix=".pdf",
                                           max_bytes=1024 * 1024))


@pytest.fixture
def fresh_spares(monkeypatch) -> Iterator[SpareFiles]:
    """The storage module's spares, started afresh for the test."""
    spares = SpareFiles(keep=4, new_key=storage.new_relative_path, place=storage.staged_path)
    monkeypatch.setattr(storage, "_SPARES", spares)
    yield spares
    spares.discard_all()


def _spare_keys(spares: SpareFiles) -> set[str]:
    return {key for queue in spares._spares.values() for key, _made in queue}


def test_an_upload_is_written_into_a_spare(fresh_spares):
    first = _stage(b"%PDF-1.4 first")  # no spare yet: made on the spot
    _eventually(lambda: len(_spare_keys(fresh_spares)) == 4)
    ready = _spare_keys(fresh_spares)

    second = _stage(b"%PDF-1.4 second")

    assert first.relative_path not in ready and second.relative_path in ready
    assert second.path.read_bytes() == b"%PDF-1.4 second"
    assert (second.size, second.sha256) == (15, hashlib.sha256(b"%PDF-1.4 second").hexdigest())


def test_a_spare_swept_away_meanwhile_is_replaced_by_a_file_of_its_own(fresh_spares):
    _stage(b"%PDF-1.4 first")
    _eventually(lambda: len(_spare_keys(fresh_spares)) == 4)
    for key in _spare_keys(fresh_spares):
        storage.staged_path(key).unlink()

    stored = _stage(b"%PDF-1.4 kept")

    assert stored.path.read_bytes() == b"%PDF-1.4 kept"
    assert stored.relative_path not in _spare_keys(fresh_spares)


def test_a_refused_upload_leaves_no_file_even_in_a_spare(fresh_spares):
    _stage(b"%PDF-1.4 first")
    _eventually(lambda: len(_spare_keys(fresh_spares)) == 4)
    ready = _spare_keys(fresh_spares)

    with pytest.raises(ConveyorError, match="larger than"):
        asyncio.run(storage.save_stream(_blocks(b"x" * 2048), area=storage.UPLOADS_AREA,
                                        suffix=".pdf", max_bytes=1024))

    used = ready - _spare_keys(fresh_spares)
    assert len(used) == 1 and not storage.staged_path(used.pop()).exists()


def test_pages_are_not_written_into_spares(fresh_spares):
    """The sweep of old files leaves a project's pages alone: a spare left there by a
    crash would stay for ever, so that area has none."""
    stored = _stage(b"%PDF-1.4 page", area="pages")
    assert stored.path.read_bytes() == b"%PDF-1.4 page"
    assert fresh_spares._spares == {}
