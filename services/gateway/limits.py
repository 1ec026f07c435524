"""Refuse oversized request bodies before they are read (413), whatever the route.

Uploads (multipart) may be large; any other body (JSON, forms) is small; some routes
take smaller uploads (`upload_limits`, by exact path). A declared Content-Length over the
limit is refused at once; a chunked body is counted as it streams in and cut off when it
passes the limit.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.envelope import is_v3
from shared.errors import ConveyorError, ErrorCode

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, max_other_bytes: int,
                 upload_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_other_bytes = max_other_bytes
        self.upload_limits = upload_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = (self.upload_limits.get(scope["path"], self.max_upload_bytes) if is_upload
                 else self.max_other_bytes)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit, envelope=is_v3(scope["path"]))
            return
        await self.app(scope, _counting(receive, limit), send)


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise ConveyorError(ErrorCode.INPUT_TOO_LARGE,
                                f"the request body is larger than {limit} bytes")
        return message

    return wrapped


async def _send_413(send: Send, max_bytes: int, *, envelope: bool) -> None:
    message = f"the request body is larger than {max_bytes} bytes"
    error = {"error_type": "INPUT_TOO_LARGE", "retryable": False}
    document = ({"status_code": 413, "message": message, "data": error} if envelope
                else {"detail": message, **error})
    body = json.dumps(document).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
