"""A local site serving fixed files (path -> content type and bytes), with a robots.txt
that allows everything: the crawl benchmark's web."""

from __future__ import annotations

from http.server import ThreadingHTTPServer

from tests.support.local_server import LocalServer, QuietHandler, reply, serve


class StaticSite(LocalServer):
    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        self.files = {"/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"), **files}
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> StaticSite:
        files = self.files

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                content_type, body = files.get(self.path, ("text/plain", b"not found"))
                reply(self, 200 if self.path in files else 404, content_type, body)

        self.server = serve(Handler)
        return self
