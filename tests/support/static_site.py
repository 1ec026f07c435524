"""A local site serving fixed files (path -> content type and bytes), with a robots.txt
that allows everything: the crawl benchmark's web."""

from __future__ import annotations

from http.server import ThreadingHTTPServer

from tests.support.local_server import QuietHandler, serve


class StaticSite:
    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        self.files = {"/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"), **files}
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StaticSite:
        files = self.files

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                content_type, body = files.get(self.path, ("text/plain", b"not found"))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = serve(Handler)
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
