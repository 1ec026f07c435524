"""Refuse oversized request bodies before they are read (413), whatever the route.

A declared Content-Length over the limit is refused at once; a chunked body is counted
as it streams in and cut off when it passes the limit.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ConveyorError, ErrorCode


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise ConveyorError(ErrorCode.INPUT_TOO_LARGE,
                                    f"the request body is larger than {self.max_bytes} bytes")
            return message

        return wrapped


async def _send_413(send: Send, max_bytes: int) -> None:
    body = (b'{"detail":"the request body is larger than %d bytes",'
            b'"error_type":"INPUT_TOO_LARGE","retryable":false}' % max_bytes)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
