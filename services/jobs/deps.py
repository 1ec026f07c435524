"""Request dependencies of the job service: the unit of work and service authentication."""

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.orm import Session

from shared.db import session_scope
from shared.errors import ConveyorError, ErrorCode
from shared.settings import get_settings


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def require_service_token(x_service_token: Annotated[str | None, Header()] = None) -> None:
    """Only other Conveyor services may call this API."""
    expected = get_settings().service_token
    if not x_service_token or not hmac.compare_digest(x_service_token.encode(),
                                                      expected.encode()):
        raise ConveyorError(ErrorCode.UNAUTHORIZED, "service token missing or wrong")


# scope="function": commit before the response is sent, so a client that got 201 can
# immediately read what it created.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
