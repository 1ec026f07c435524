"""WebSocket /ws: the caller's job events as they happen (seed 002's receipt_processed)."""

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from services.gateway.jobs_client import JobsClient
from services.gateway.notifications.service import live_messages
from services.gateway.settings import get_gateway_settings
from shared.auth.tokens import user_id_from_token
from shared.errors import ConveyorError

router = APIRouter(tags=["notifications"])


@router.websocket("/ws")
async def live_events(websocket: WebSocket) -> None:
    """Authenticate with `?token=<JWT>` (browsers cannot set headers on a WebSocket) or an
    `Authorization: Bearer` header. Messages: `{"event_type", "data"}` with event types
    receipt_progress, receipt_processed, receipt_failed and job_status, for your jobs only.
    """
    user_id = _authenticated_user(websocket)
    if user_id is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="invalid token")
        return
    await websocket.accept()
    jobs: JobsClient = websocket.app.state.jobs_client
    pump = asyncio.create_task(_pump(websocket, jobs, user_id))
    listen = asyncio.create_task(_wait_for_disconnect(websocket))
    done, _ = await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
    for task in (pump, listen):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if pump in done:  # the feed broke (job service unreachable): say so, do not hang
        with contextlib.suppress(Exception):
            await websocket.close(code=status.WS_1011_INTERNAL_ERROR,
                                  reason="event feed unavailable; reconnect")


def _authenticated_user(websocket: WebSocket) -> int | None:
    token = websocket.query_params.get("token")
    header = websocket.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:]
    try:
        return user_id_from_token(get_gateway_settings(), token) if token else None
    except ConveyorError:
        return None


async def _pump(websocket: WebSocket, jobs: JobsClient, user_id: int) -> None:
    poll = get_gateway_settings().ws_poll_seconds
    async for message in live_messages(jobs, user_id=user_id, poll_seconds=poll):
        await websocket.send_json(message)


async def _wait_for_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
