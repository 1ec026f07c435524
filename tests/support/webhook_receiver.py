"""A webhook receiver on loopback, as a user would run one: it verifies each delivery's
Standard Webhooks signature with the `standardwebhooks` package and records what came.

It can be stopped and started again on the same port, so a test can take it down for an
outage and bring it back for the recovery.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from tests.support.local_server import QuietHandler, reply


@dataclass(frozen=True)
class Received:
    path: str
    message_id: str
    event_type: str
    data: dict[str, Any]


@dataclass
class WebhookReceiver:
    # path -> the endpoint's secret, as the user keeps it after registering.
    secrets: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a delivery did not verify
    port: int = 0
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.take(self.path, body, dict(self.headers.items()))
                reply(self, status, "text/plain", b"")

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]  # kept: a restart listens where it did
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.server = server
        return self

    def stop(self) -> None:
        """Down: connections are refused until `start` again."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def take(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        secret = self.secrets.get(path)
        if secret is None:
            return 404
        headers = {name.lower(): value for name, value in headers.items()}
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError as exc:
            with self._lock:
                self.refused.append(f"{path}: {exc}")
            return 400
        payload = json.loads(body)
        with self._lock:
            self.received.append(Received(path=path, message_id=headers["webhook-id"],
                                          event_type=payload["type"], data=payload["data"]))
        return 204

    def events_of(self, job: int | str, path: str | None = None) -> list[Received]:
        """The events of a job by its id, or by its uuid (the job_id of a v3 receipt, the
        task_id of a colour transfer or a page task)."""
        key = "job_id" if isinstance(job, int) else "job_uuid"
        with self._lock:
            return [r for r in self.received
                    if r.data[key] == job and (path is None or r.path == path)]


def wait_until(condition: Callable[[], Any], *, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")
