"""How the gateway renders every error: v1 as `{"detail", "error_type", "retryable"}`,
v3 as the envelope (seed 002), from the same ConveyorError codes. Errors the framework
raises (validation, unknown routes, wrong methods, crashes) get their code here too."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from slowapi.errors import RateLimitExceeded
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from services.gateway.envelope import envelope_response, is_v3
from services.gateway.ratelimit import retry_after_seconds
from shared.errors import UNSTORABLE_VALUE, ConveyorError, ErrorCode, error_body

# FastAPI's words when a body is neither valid UTF-8 JSON nor a well-formed form: it raises
# a bare 400, where invalid JSON is its 422 with a field list. Both are the same mistake,
# so both are answered as invalid fields (v1 422, v3 400), the statuses every route
# declares.
_UNPARSABLE_BODY = "There was an error parsing the body"
_UNPARSABLE_BODY_MESSAGE = "the body could not be parsed: not UTF-8 JSON, or a malformed form"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ConveyorError, _render_conveyor_error)
    app.add_exception_handler(RateLimitExceeded, _render_rate_limit)
    app.add_exception_handler(RequestValidationError, _render_validation_error)
    app.add_exception_handler(HTTPException, _render_http_exception)
    app.add_exception_handler(DataError, _render_data_error)
    app.add_exception_handler(Exception, _render_crash)


def _render(request: Request, status: int, body: dict[str, Any],
            headers: dict[str, str] | None = None) -> JSONResponse:
    if is_v3(request.url.path):
        data = {k: v for k, v in body.items() if k != "detail"}
        return envelope_response(status, str(body["detail"]), data, headers)
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


async def _render_conveyor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConveyorError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.code.http_status == 401 else None
    return _render(request, exc.code.http_status, exc.to_dict(), headers)


async def _render_rate_limit(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimitExceeded)
    wait = retry_after_seconds(request)
    return _render(request, 429, {"detail": f"Rate limit exceeded: {exc.detail}; retry in "
                                            f"{wait} s",
                                  "error_type": "RATE_LIMITED", "retryable": True,
                                  "retry_after_seconds": wait},
                   headers={"Retry-After": str(wait)})


async def _render_validation_error(request: Request, exc: Exception) -> Response:
    """v1 keeps FastAPI's 422 and its list of fields in `detail`; v3 answers 400 (seed 002:
    validation errors are 400) with the list in `data.errors`."""
    assert isinstance(exc, RequestValidationError)
    return _invalid_fields(request, jsonable_encoder(exc.errors()))


def _invalid_fields(request: Request, errors: list[dict[str, Any]]) -> Response:
    if not is_v3(request.url.path):
        return JSONResponse(error_body(ErrorCode.INPUT_INVALID, errors), status_code=422)
    fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) or "body" for e in errors)
    return envelope_response(400, f"Invalid request: check {fields}",
                             {"error_type": "INPUT_INVALID", "retryable": False,
                              "errors": errors})


async def _render_http_exception(request: Request, exc: Exception) -> Response:
    """The framework's own errors: an unknown route (404), a wrong method (405, with its
    Allow header)."""
    assert isinstance(exc, HTTPException)
    if (exc.status_code, exc.detail) == (400, _UNPARSABLE_BODY):
        return _invalid_fields(request, [{"type": "body_invalid", "loc": ["body"],
                                          "msg": _UNPARSABLE_BODY_MESSAGE, "input": None}])
    code = ErrorCode.for_http_status(exc.status_code)
    return _render(request, exc.status_code, error_body(code, exc.detail),
                   headers=getattr(exc, "headers", None))


async def _render_data_error(request: Request, _exc: Exception) -> Response:
    """A value the request carried that the database refused for its column (a number
    past its range, a NUL character in a text): the request's fault, answered as invalid
    input like any other invalid field (v1 422, v3 400), never a 500."""
    return _render(request, 400 if is_v3(request.url.path) else 422,
                   error_body(ErrorCode.INPUT_INVALID, UNSTORABLE_VALUE))


async def _render_crash(request: Request, _exc: Exception) -> Response:
    """A bug, answered as a coded 500. Starlette re-raises it after this answer, so the
    server logs its traceback: no logging here."""
    return _render(request, 500, error_body(ErrorCode.INTERNAL, "internal error; try again"))
