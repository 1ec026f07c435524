"""Gateway dependencies: the current user's id, the job-service client, settings.

None of them reads the database: a route runs its unit of work whole on a worker thread
(`shared.db.in_transaction_thread`). A session held across the thread hops of a sync route
(FastAPI validates a sync route's answer on another worker thread) deadlocked a burst of 60
requests: 20 answers held the pool's connections waiting for a thread, and the 40 threads
waited for a connection until the pool's 30 s timeout."""

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from services.gateway.jobs_client import JobsClient
from services.gateway.settings import GatewaySettings, get_gateway_settings
from shared.auth.tokens import user_id_from_token
from shared.db import MAX_ROW_ID
from shared.errors import ConveyorError, ErrorCode
from shared.logging import bind

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


# CPU-only dependencies are async so FastAPI does not hop to a worker thread for them.
async def _settings() -> GatewaySettings:
    return get_gateway_settings()


async def current_user_id(token: Annotated[str | None, Depends(oauth2_scheme)],
                          settings: Annotated[GatewaySettings, Depends(_settings)]) -> int:
    """The user named by a valid bearer token (no database round trip)."""
    if not token:
        raise ConveyorError(ErrorCode.UNAUTHORIZED, "Not authenticated")
    user_id = user_id_from_token(settings, token)
    bind(user_id=user_id)  # async, so the route's log lines see it
    return user_id


async def jobs_client(request: Request) -> JobsClient:
    return request.app.state.jobs_client


UserIdDep = Annotated[int, Depends(current_user_id)]
JobsDep = Annotated[JobsClient, Depends(jobs_client)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]

# A row id in a path: past the id columns' range it names nothing, and is refused as
# invalid (422) before any query, rather than failing in the database.
JobId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the job's id", examples=[42])]
ProjectId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the project's id",
                                examples=[1])]
PageId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the page's id", examples=[3])]

# A long poll's longest wait: one request stays well inside proxies' timeouts.
MAX_WAIT_SECONDS = 30.0


def long_poll_seconds(ended: str) -> Any:
    """The `wait_seconds` query of a long poll that answers as soon as `ended` says."""
    return Query(ge=0, le=MAX_WAIT_SECONDS, examples=[10],
                 description=f"long poll: answer as soon as {ended}, or after this many "
                             "seconds with its state then")
