"""Refuse oversized request bodies before they are read (413), whatever the route.

Uploads (multipart) may be large; any other body (JSON, forms) is small; some routes
take one smaller file (`file_limits`, by exact path: the body may hold the file and its
multipart framing). A declared Content-Length over the limit is refused at once; a chunked
body is counted as it streams in and cut off when it passes the limit. The message states
the limit as the docs do ("the file is larger than 10 MB").
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.envelope import is_v3
from shared.errors import ConveyorError, too_large

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, max_other_bytes: int,
                 file_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_other_bytes = max_other_bytes
        self.file_limits = file_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit, refusal = self._limit(scope["path"], is_upload=is_upload)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, refusal, envelope=is_v3(scope["path"]))
            return
        await self.app(scope, _counting(receive, limit, refusal), send)

    def _limit(self, path: str, *, is_upload: bool) -> tuple[int, ConveyorError]:
        """The body's limit in bytes, and the error that states it."""
        if not is_upload:
            return self.max_other_bytes, too_large(self.max_other_bytes,
                                                   subject="the request body")
        file_limit = self.file_limits.get(path)
        if file_limit is None:
            return self.max_upload_bytes, too_large(self.max_upload_bytes,
                                                    subject="the request body")
        return file_limit + MULTIPART_OVERHEAD_BYTES, too_large(file_limit)


def _counting(receive: Receive, limit: int, refusal: ConveyorError) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise refusal
        return message

    return wrapped


async def _send_413(send: Send, refusal: ConveyorError, *, envelope: bool) -> None:
    message = refusal.message
    error = {"error_type": refusal.code.name, "retryable": refusal.code.retryable}
    document = ({"status_code": 413, "message": message, "data": error} if envelope
                else {"detail": message, **error})
    body = json.dumps(document).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
