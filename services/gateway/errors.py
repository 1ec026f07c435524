"""How the gateway renders every error: v1 as `{"detail", "error_type", "retryable"}`,
v3 as the envelope (seed 002), from the same ConveyorError codes. Errors the framework
raises (validation, unknown routes, wrong methods, crashes) get their code here too."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from slowapi.errors import RateLimitExceeded
from starlette.exceptions import HTTPException

from services.gateway.envelope import envelope_response, is_v3
from services.gateway.ratelimit import retry_after_seconds
from shared.errors import ConveyorError, ErrorCode, error_body


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ConveyorError, _render_conveyor_error)
    app.add_exception_handler(RateLimitExceeded, _render_rate_limit)
    app.add_exception_handler(RequestValidationError, _render_validation_error)
    app.add_exception_handler(HTTPException, _render_http_exception)
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
    errors = jsonable_encoder(exc.errors())
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
    code = ErrorCode.for_http_status(exc.status_code)
    return _render(request, exc.status_code, error_body(code, exc.detail),
                   headers=getattr(exc, "headers", None))


async def _render_crash(request: Request, _exc: Exception) -> Response:
    """A bug, answered as a coded 500. Starlette re-raises it after this answer, so the
    server logs its traceback: no logging here."""
    return _render(request, 500, error_body(ErrorCode.INTERNAL, "internal error; try again"))
