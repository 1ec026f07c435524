"""WebSocket /ws: the caller's job events as they happen (seed 002's receipt_processed)."""

import asyncio
import contextlib
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from services.gateway.jobs_client import JobsClient
from services.gateway.notifications.service import live_messages
from services.gateway.settings import get_gateway_settings
from shared.auth.tokens import subject_and_expiry
from shared.errors import ConveyorError

router = APIRouter(tags=["notifications"])


@router.websocket("/ws")
async def live_events(websocket: WebSocket) -> None:
    """Authenticate with `?token=<JWT>` (browsers cannot set headers on a WebSocket) or an
    `Authorization: Bearer` header. Messages: `{"event_type", "data"}` with event types
    receipt_progress, receipt_processed, receipt_failed and job_status, for your jobs only.
    """
    authenticated = _authenticated_user(websocket)
    if authenticated is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="invalid token")
        return
    user_id, expires_at = authenticated
    await websocket.accept()
    jobs: JobsClient = websocket.app.state.jobs_client
    pump = asyncio.create_task(_pump(websocket, jobs, user_id))
    listen = asyncio.create_task(_wait_for_disconnect(websocket))
    # The token's expiry ends the socket as it ends any request: reconnect with a new one.
    done, _ = await asyncio.wait({pump, listen}, timeout=max(0.0, expires_at - time.time()),
                                 return_when=asyncio.FIRST_COMPLETED)
    for task in (pump, listen):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if listen not in done:
        code, reason = ((status.WS_1011_INTERNAL_ERROR, "event feed unavailable; reconnect")
                        if pump in done else
                        (status.WS_1008_POLICY_VIOLATION, "token expired; reconnect"))
        with contextlib.suppress(Exception):
            await websocket.close(code=code, reason=reason)


def _authenticated_user(websocket: WebSocket) -> tuple[int, float] | None:
    """(user id, token expiry) from `?token=` or an Authorization header; None if invalid."""
    token = websocket.query_params.get("token")
    header = websocket.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:]
    try:
        return subject_and_expiry(get_gateway_settings(), token) if token else None
    except ConveyorError:
        return None


async def _pump(websocket: WebSocket, jobs: JobsClient, user_id: int) -> None:
    wait = get_gateway_settings().event_wait_seconds
    async for message in live_messages(jobs, user_id=user_id, wait_seconds=wait):
        await websocket.send_json(message)


async def _wait_for_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
