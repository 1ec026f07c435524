"""Rate limits per user (from the JWT subject), falling back to the client address.

Counters live in Redis when REDIS_URL is set, so every gateway replica shares them.
"""

import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from slowapi import Limiter
from slowapi.util import get_remote_address

from services.gateway.settings import get_gateway_settings
from shared.auth.tokens import user_id_from_token
from shared.errors import ConveyorError


def user_or_address(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        try:
            return f"user:{user_id_from_token(get_gateway_settings(), header[7:])}"
        except ConveyorError:
            pass
    return f"addr:{get_remote_address(request)}"


def _storage_uri() -> str:
    settings = get_gateway_settings()
    return settings.redis_url or "memory://"


# headers_enabled would require every limited route to return a Response object; the 429
# handler sets Retry-After itself instead.
# When Redis is unreachable the limits fall back to per-process memory rather than
# turning every limited route into a 500.
limiter = Limiter(key_func=user_or_address, storage_uri=_storage_uri(),
                  key_prefix=f"{get_gateway_settings().redis_key_prefix}conveyor-rl",
                  in_memory_fallback_enabled=True, swallow_errors=True)


def retry_after_seconds(request: Request) -> int:
    """Seconds until the window that refused this request lets the next one in."""
    limit_item, args = request.state.view_rate_limit
    reset_at, _remaining = limiter.limiter.get_window_stats(limit_item, *args)
    return max(1, int(reset_at - time.time()) + 1)


Route = TypeVar("Route", bound=Callable[..., Any])


def limited(setting: str) -> Callable[[Route], Route]:
    """Limit a route by the gateway setting of that name ("rate_limit_receipts"), and say
    so in its OpenAPI description, so that the documented limit is the one applied."""
    limit = getattr(get_gateway_settings(), setting)

    def decorate(route: Route) -> Route:
        route.__doc__ = (f"{inspect.cleandoc(route.__doc__ or '')}\n\nRate limit: {limit} per user "
                         f"(setting `{setting.upper()}`); past it, 429 with `Retry-After`.")
        return limiter.limit(limit)(route)  # type: ignore[no-any-return]

    return decorate
