"""The storage interface on both backends: files under DATA_DIR, and objects in an
S3-compatible store (moto's server, a real HTTP endpoint, talked to by boto3)."""

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import text

from shared import storage
from shared.db import session_scope
from shared.errors import ConveyorError, ErrorCode, TransientError
from shared.settings import get_settings
from shared.storage.cache import LocalCopies
from shared.storage.local import LocalStore
from tests.support.object_store import ObjectStoreServer, object_store


def _blocks(*parts: bytes) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for part in parts:
            yield part
    return gen()


def _stage(*parts: bytes, area: str = "uploads", suffix: str = ".bin") -> storage.StoredFile:
    return asyncio.run(storage.save_stream(_blocks(*parts), area=area, suffix=suffix,
                                           max_bytes=64 * 1024 * 1024))


# --- local --------------------------------------------------------------------------------

def test_a_key_maps_under_the_data_dir():
    root = get_settings().data_dir.resolve()
    local = LocalStore(get_settings().data_dir)
    assert local.path_of("uploads/abc.pdf") == root / "uploads" / "abc.pdf"
    assert local.path_of("uploads/./x/../abc.pdf") == root / "uploads" / "abc.pdf"


@pytest.mark.parametrize("escape", ["../etc/passwd", "uploads/../../etc/passwd", "/etc/passwd",
                                    "..", ".", "uploads/../.."])
def test_keys_leading_outside_the_data_dir_are_not_found(escape):
    with pytest.raises(ConveyorError) as refused:
        LocalStore(get_settings().data_dir).path_of(escape)
    assert refused.value.code is ErrorCode.NOT_FOUND


def test_locally_a_staged_upload_already_is_the_stored_file():
    stored = _stage(b"%PDF-1.4 ", b"rest")
    assert storage.staged_in_place()
    storage.publish(stored)
    assert stored.path.read_bytes() == b"%PDF-1.4 rest"
    assert storage.local_file(stored.relative_path) == stored.path
    assert stored.size == 13 and stored.head == b"%PDF-1.4 "
    storage.delete(stored.relative_path)
    with pytest.raises(storage.ObjectMissing) as missing:
        storage.local_file(stored.relative_path)
    assert missing.value.code is ErrorCode.INPUT_MISSING and not missing.value.code.retryable


def test_locally_old_files_are_removed_except_those_kept():
    old, kept, new = (storage.write_bytes("sweep-test", ".bin", b"x") for _ in range(3))
    hour_ago = time.time() - 3600
    for key in (old, kept):
        os.utime(storage.local_file(key), (hour_ago, hour_ago))
    assert storage.remove_older_than("sweep-test", max_age_seconds=60, keep={kept}) == 1
    with pytest.raises(storage.ObjectMissing):
        storage.read_bytes(old)
    assert storage.read_bytes(kept) == storage.read_bytes(new) == b"x"


# --- s3 -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def s3_server() -> Iterator[ObjectStoreServer]:
    with object_store() as server:
        server.create_bucket("storage-test")
        yield server


@pytest.fixture
def on_s3(s3_server: ObjectStoreServer, tmp_path, monkeypatch) -> Iterator[ObjectStoreServer]:
    """This process on STORAGE_BACKEND=s3, with a DATA_DIR of its own (staging, cache)."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    for name, value in s3_server.env("storage-test").items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield s3_server
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_published_upload_is_an_object_and_its_staged_file_is_gone(on_s3):
    stored = _stage(b"a" * 1000, b"b" * 1000)
    assert stored.path.is_file()  # staged: inspectable before it is published
    assert not storage.staged_in_place()
    storage.publish(stored)
    assert not stored.path.exists()
    assert stored.relative_path in on_s3.keys("storage-test", "uploads/")
    assert storage.read_bytes(stored.relative_path) == b"a" * 1000 + b"b" * 1000


def test_a_renamed_staged_upload_is_published_under_its_new_key(on_s3):
    stored = storage.with_suffix(_stage(b"\x89PNG"), ".png")
    storage.publish(stored)
    assert stored.relative_path.endswith(".bin.png")
    assert storage.read_bytes(stored.relative_path) == b"\x89PNG"


def test_a_large_upload_goes_up_in_parts_and_comes_back_whole(on_s3):
    part = os.urandom(1024 * 1024)
    stored = _stage(*[part] * 20)  # 20 MB: past the multipart threshold
    storage.publish(stored)
    copy = storage.local_file(stored.relative_path)
    assert copy.stat().st_size == 20 * 1024 * 1024
    assert copy.read_bytes()[-len(part):] == part


def test_a_local_copy_is_fetched_once_then_read_without_the_store(on_s3):
    key = storage.write_bytes("uploads", ".pdf", b"%PDF-1.7 body")
    first = storage.local_file(key)
    assert first.read_bytes() == b"%PDF-1.7 body"
    on_s3.stop()
    try:
        assert storage.local_file(key) == first  # no request: the store is down
    finally:
        on_s3.start()


def test_a_missing_object_is_missing_not_unavailable(on_s3):
    for read in (storage.read_bytes, storage.local_file):
        with pytest.raises(storage.ObjectMissing) as missing:
            read("uploads/never-written.pdf")
        assert missing.value.code is ErrorCode.INPUT_MISSING


def test_a_store_that_is_down_is_a_transient_failure_and_nothing_is_lost(on_s3):
    key = storage.write_bytes("results", ".png", b"kept across the outage")
    on_s3.stop()
    try:
        with pytest.raises(storage.StorageUnavailable) as down:
            storage.read_bytes(key)
        # The chunk runner retries a TransientError; the gateway answers 503, retryable.
        assert isinstance(down.value, TransientError)
        assert down.value.code is ErrorCode.UPSTREAM_UNAVAILABLE and down.value.code.retryable
        with pytest.raises(storage.StorageUnavailable):
            storage.write_bytes("results", ".png", b"x")
    finally:
        on_s3.start()
    assert storage.read_bytes(key) == b"kept across the outage"


def test_an_object_written_for_a_rolled_back_row_is_deleted(on_s3):
    written: list[str] = []
    with pytest.raises(RuntimeError), session_scope() as session:
        session.execute(text("SELECT 1"))  # the row's transaction has begun
        written.append(storage.write_bytes_in(session, "results", ".png", b"partial"))
        raise RuntimeError("the row is not stored")
    with pytest.raises(storage.ObjectMissing):
        storage.read_bytes(written[0])


def test_old_objects_are_removed_except_those_kept(on_s3):
    old, kept = (storage.write_bytes("sweep-s3", ".bin", b"x") for _ in range(2))
    time.sleep(1.1)  # S3 times are in whole seconds
    new = storage.write_bytes("sweep-s3", ".bin", b"y")
    assert storage.remove_older_than("sweep-s3", max_age_seconds=1, keep={kept}) == 1
    assert sorted(on_s3.keys("storage-test", "sweep-s3/")) == sorted([kept, new])
    assert old not in on_s3.keys("storage-test", "sweep-s3/")


def test_a_presigned_url_downloads_the_object_with_its_name(on_s3):
    key = storage.write_bytes("results", ".png", b"\x89PNG result")
    url = storage.backend().presigned_url(key, filename="result.png", media_type="image/png",
                                          expires_seconds=60)
    assert url is not None and "X-Amz-Signature=" in url
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.content == b"\x89PNG result"
    assert answer.headers["content-type"] == "image/png"
    assert 'filename="result.png"' in answer.headers["content-disposition"]
    tampered = url.replace(key, key.replace(".png", ".jpg"))
    assert httpx.get(tampered).status_code == 403


def test_staged_uploads_left_by_a_crash_are_swept(on_s3):
    stale, fresh = _stage(b"left behind"), _stage(b"in flight")
    hour_ago = time.time() - 3600
    os.utime(stale.path, (hour_ago, hour_ago))
    assert storage.sweep_staging(max_age_seconds=600) == 1
    assert not stale.path.exists() and fresh.path.exists()


def test_the_copy_cache_evicts_the_least_recently_used_first(on_s3, tmp_path):
    copies = LocalCopies(tmp_path / "copies", max_bytes=2500)
    keys = [storage.write_bytes("uploads", ".bin", bytes(1000)) for _ in range(3)]
    paths = [copies.path_for(storage.backend(), key) for key in keys[:2]]
    long_ago = time.time() - 3600
    os.utime(paths[0], (long_ago, long_ago))
    os.utime(paths[1], (long_ago + 60, long_ago + 60))
    newest = copies.path_for(storage.backend(), keys[2])  # 3000 bytes: one must go
    assert not paths[0].exists() and paths[1].exists() and newest.exists()
