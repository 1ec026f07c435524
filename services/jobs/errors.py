"""How the job service renders every error: `{"detail", "error_type", "retryable"}`, the
shape the gateway's client reads back into the same ConveyorError. Input the framework or
the database refuses is a coded 4xx, never a 500."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from shared.errors import UNSTORABLE_VALUE, ConveyorError, ErrorCode, error_body


async def _render_conveyor_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConveyorError)
    return JSONResponse(jsonable_encoder(exc.to_dict()), status_code=exc.code.http_status)


async def _render_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 with its list of fields in `detail`, coded."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(error_body(ErrorCode.INPUT_INVALID, jsonable_encoder(exc.errors())),
                        status_code=422)


async def _render_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    """An unknown route (404) or a wrong method (405, with its Allow header)."""
    assert isinstance(exc, HTTPException)
    code = ErrorCode.for_http_status(exc.status_code)
    return JSONResponse(error_body(code, exc.detail), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _render_data_error(_request: Request, _exc: Exception) -> JSONResponse:
    """A value the request carried that its column cannot hold: bad input, not a server
    fault."""
    return JSONResponse(error_body(ErrorCode.INPUT_INVALID, UNSTORABLE_VALUE),
                        status_code=422)


async def _render_crash(_request: Request, _exc: Exception) -> JSONResponse:
    """A bug, answered as a coded 500; Starlette re-raises it so the server logs it."""
    return JSONResponse(error_body(ErrorCode.INTERNAL, "internal error"), status_code=500)


# FastAPI(exception_handlers=ERROR_HANDLERS): one handler per kind of failure.
ERROR_HANDLERS: dict[int | type[Exception],
                     Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    ConveyorError: _render_conveyor_error, RequestValidationError: _render_validation_error,
    HTTPException: _render_http_exception, DataError: _render_data_error,
    Exception: _render_crash}
