"""Starting the local HTTP servers that play what lies outside this machine."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle's algorithm the body then waits
    # for the client's delayed ACK, 40 ms a response.
    disable_nagle_algorithm = True

    def log_message(self, *_args: object) -> None:
        return


class LocalServer:
    """What every fake server shares once `start` has set `server` with `serve`."""

    server: ThreadingHTTPServer | None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()


def reply(request: BaseHTTPRequestHandler, status: int, content_type: str,
          body: bytes) -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded server on a free loopback port, running in the background."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
