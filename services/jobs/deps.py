"""Request dependencies of the job service: service authentication."""

import hmac
from typing import Annotated

from fastapi import Header

from shared.errors import ConveyorError, ErrorCode
from shared.settings import get_settings


async def require_service_token(x_service_token: Annotated[str | None, Header()] = None) -> None:
    """Only other Conveyor services may call this API."""
    expected = get_settings().service_token
    if not x_service_token or not hmac.compare_digest(x_service_token.encode(),
                                                      expected.encode()):
        raise ConveyorError(ErrorCode.UNAUTHORIZED, "service token missing or wrong")
