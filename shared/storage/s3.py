"""STORAGE_BACKEND=s3: objects in one bucket of an S3-compatible store, through boto3.

Every failure of the store to answer becomes StorageUnavailable (retried by workers, a
503 at the gateway); a key that is not there becomes ObjectMissing.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shared.storage.store import ObjectMissing, StorageUnavailable

log = logging.getLogger(__name__)

_BLOCK = 1024 * 1024
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
# Multipart from 16 MB, parts streamed from the file: a 100 MB PDF is never in memory.
_TRANSFER = TransferConfig(multipart_threshold=16 * 1024 * 1024,
                           multipart_chunksize=16 * 1024 * 1024, max_concurrency=4)


class S3Store:
    name = "s3"

    def __init__(self, *, bucket: str, endpoint_url: str | None, region: str,
                 access_key_id: str | None, secret_access_key: str | None,
                 public_endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self._client_args: dict[str, Any] = {
            "region_name": region, "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key}
        self._endpoint_url = endpoint_url
        self._public_endpoint_url = public_endpoint_url or endpoint_url
        self._client = self._make_client(endpoint_url)
        self._presigner = (self._client if self._public_endpoint_url == endpoint_url
                           else self._make_client(self._public_endpoint_url))

    def _make_client(self, endpoint_url: str | None) -> Any:
        config = Config(
            connect_timeout=5, read_timeout=30, signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            # MinIO and most self-hosted stores serve buckets as paths, not host names.
            s3={"addressing_style": "path" if endpoint_url else "auto"})
        return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config,
                                              **self._client_args)

    def put_file(self, key: str, source: Path) -> None:
        with _answers(key):
            self._client.upload_file(str(source), self.bucket, key, Config=_TRANSFER)

    def put_bytes(self, key: str, data: bytes) -> None:
        with _answers(key):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def get_bytes(self, key: str) -> bytes:
        with _answers(key):
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def download(self, key: str, target: Path) -> None:
        with _answers(key):
            self._client.download_file(self.bucket, key, str(target), Config=_TRANSFER)

    def blocks(self, key: str) -> tuple[int, Iterator[bytes]]:
        with _answers(key):
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
        body = answer["Body"]

        def read() -> Iterator[bytes]:
            with _answers(key):
                try:
                    yield from body.iter_chunks(_BLOCK)
                finally:
                    body.close()
        return int(answer["ContentLength"]), read()

    def local_path(self, key: str) -> Path | None:
        return None

    def delete(self, key: str) -> None:
        with _answers(key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def keys_older_than(self, prefix: str, cutoff: float) -> Iterator[str]:
        with _answers(prefix):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix.rstrip("/") + "/")
            for page in pages:
                for item in page.get("Contents", ()):
                    if item["LastModified"].timestamp() < cutoff:
                        yield item["Key"]

    def presigned_url(self, key: str, *, filename: str, media_type: str,
                      expires_seconds: int) -> str | None:
        with _answers(key):
            return self._presigner.generate_presigned_url(
                "get_object", ExpiresIn=expires_seconds,
                Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": media_type,
                        "ResponseContentDisposition": f'attachment; filename="{filename}"'})

    def check(self) -> None:
        with _answers(""):
            self._client.head_bucket(Bucket=self.bucket)


@contextmanager
def _answers(key: str) -> Iterator[None]:
    """Translate the store's failures: a missing key is ObjectMissing, anything else that
    kept it from answering is StorageUnavailable (logged with the store's own words)."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_CODES:
            raise ObjectMissing(key) from None
        log.warning("object store refused %s: %s", key or "the bucket", code)
        raise StorageUnavailable(f"file storage refused the request ({code})") from error
    except BotoCoreError as error:
        log.warning("object store unreachable: %s", error)
        raise StorageUnavailable() from error
