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


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded server on a free loopback port, running in the background."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
