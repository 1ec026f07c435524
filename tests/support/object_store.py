"""An S3-compatible store on this machine: moto's server, speaking S3 over HTTP on a port
of its own, which the real boto3 client of the product talks to (MinIO cannot be
installed here). Its objects live in this test process, so the server can be stopped
(the store is down) and started again with every object still there."""

import contextlib
import time
from collections.abc import Iterator

import boto3
import httpx
from moto.server import ThreadedMotoServer

from tests.support.stack import free_port

ACCESS_KEY_ID = "conveyor-test"
SECRET_ACCESS_KEY = "conveyor-test-secret"
REGION = "us-east-1"


class ObjectStoreServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> "ObjectStoreServer":
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port,
                                          verbose=False)
        self._server.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.url, timeout=1)
                return self
            time.sleep(0.05)
        raise RuntimeError("moto server did not come up")

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self):  # boto3's client type is generated at run time
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY_ID,
                            aws_secret_access_key=SECRET_ACCESS_KEY)

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        answer = self.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for item in answer.get("Contents", ())]

    def env(self, bucket: str) -> dict[str, str]:
        """The settings that point Conveyor at this store and bucket."""
        return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": self.url, "S3_BUCKET": bucket,
                "S3_ACCESS_KEY_ID": ACCESS_KEY_ID, "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
                "S3_REGION": REGION}


@contextlib.contextmanager
def object_store() -> Iterator[ObjectStoreServer]:
    server = ObjectStoreServer().start()
    try:
        yield server
    finally:
        server.stop()
