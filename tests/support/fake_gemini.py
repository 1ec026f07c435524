"""A local HTTP server that answers like Gemini's generateContent, for the real client.

Rewrites are the identity (so tests can compare sentences), tokens are counted per word.
The quality tier's model answers slowly, so tests can cancel or kill work in flight, and a
batch containing the word FLAKY fails once with 503, so the retry path runs for real, and
one containing MALFORMED gets a reply with an item missing (a permanent failure).
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.local_server import LocalServer, QuietHandler, reply, serve

SLOW_MODEL = "gemini-2.5-pro"
SLOW_SECONDS = 0.4
_PATH = re.compile(r"^/v1beta/models/(?P<model>[^:/]+):generateContent$")


@dataclass
class FakeGemini(LocalServer):
    calls: list[tuple[str, int]] = field(default_factory=list)  # (model, batch size)
    failed_once: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def call_count(self, model: str | None = None) -> int:
        with self.lock:
            return sum(1 for called, _size in self.calls if model in (None, called))

    def start(self) -> "FakeGemini":
        fake = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.0"  # as before: one request per connection

            def do_POST(self) -> None:
                fake.handle(self)

        self.server = serve(Handler)
        return self

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        match = _PATH.match(request.path)
        if not match or request.headers.get("x-goog-api-key") != "test-llm-key":
            _reply(request, 401, {"error": {"message": "bad key or path"}})
            return
        body = json.loads(request.rfile.read(int(request.headers["Content-Length"])))
        text = body["contents"][0]["parts"][0]["text"]
        sentences = json.loads(text)
        model = match["model"]
        with self.lock:
            self.calls.append((model, len(sentences)))
            flaky = "FLAKY" in text and text not in self.failed_once
            if flaky:
                self.failed_once.add(text)
        if flaky:
            _reply(request, 503, {"error": {"message": "overloaded, try again"}})
            return
        if model == SLOW_MODEL:
            time.sleep(SLOW_SECONDS)
        if "MALFORMED" in text:
            sentences = sentences[:-1]
        tokens = sum(len(s.split()) for s in sentences)
        _reply(request, 200, {
            "candidates": [{"content": {"parts": [{"text": json.dumps(sentences)}]},
                            "finishReason": "STOP"}],
            "usageMetadata": {"totalTokenCount": tokens}})


def _reply(request: BaseHTTPRequestHandler, status: int, payload: object) -> None:
    reply(request, status, "application/json", json.dumps(payload).encode())
