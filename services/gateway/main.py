"""The public API gateway (port 8000): auth, rate limits, uploads, /api/v1 routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from slowapi.errors import RateLimitExceeded

from services.gateway.auth.router import router as auth_router
from services.gateway.credits.router import router as credits_router
from services.gateway.jobs.router import router as jobs_router
from services.gateway.jobs_client import JobsClient
from services.gateway.limits import BodySizeLimit
from services.gateway.pdf.router import router as pdf_router
from services.gateway.ratelimit import limiter, retry_after_seconds
from services.gateway.settings import get_gateway_settings
from services.gateway.system.router import router as system_router
from shared.errors import ConveyorError
from shared.logging import configure_logging

DESCRIPTION = """Submit documents and images for asynchronous processing.

1. `POST /api/v1/auth/register`, then `POST /api/v1/auth/login` for a bearer token.
2. `POST /api/v1/jobs/confirm` with a PDF: the job is created and its credits reserved.
3. `POST /api/v1/process-pdf-async` with the same file and the `job_id`: 202.
4. Poll `GET /api/v1/jobs/{job_id}` until `completed`, download
   `GET /api/v1/jobs/{job_id}/result?format=json|txt`, then `POST /api/v1/jobs/{job_id}/finalize`.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_gateway_settings()
    app.state.jobs_client = JobsClient(base_url=settings.jobs_service_url,
                                       service_token=settings.service_token,
                                       timeout=settings.jobs_service_timeout_seconds)
    yield
    await app.state.jobs_client.aclose()


async def _render_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConveyorError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.code.http_status == 401 else None
    return JSONResponse(exc.to_dict(), status_code=exc.code.http_status, headers=headers)


async def _render_rate_limit(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitExceeded)
    wait = retry_after_seconds(request)
    return JSONResponse({"detail": f"Rate limit exceeded: {exc.detail}; retry in {wait} s",
                         "error_type": "RATE_LIMITED", "retryable": True,
                         "retry_after_seconds": wait},
                        status_code=429, headers={"Retry-After": str(wait)})


def create_app() -> FastAPI:
    configure_logging("gateway")
    settings = get_gateway_settings()
    app = FastAPI(title="Conveyor API", version="1.0.0", description=DESCRIPTION,
                  lifespan=_lifespan)
    app.state.limiter = limiter
    app.add_exception_handler(ConveyorError, _render_error)
    app.add_exception_handler(RateLimitExceeded, _render_rate_limit)
    app.add_middleware(BodySizeLimit, max_upload_bytes=settings.max_upload_bytes,
                       max_other_bytes=settings.max_json_bytes)
    for router in (system_router, auth_router, credits_router, pdf_router, jobs_router):
        app.include_router(router)
    _add_doc_aliases(app)
    return app


def _add_doc_aliases(app: FastAPI) -> None:
    """Seed 000 documents /api/docs and /api/swagger.json; serve the same spec there."""

    @app.get("/api/swagger.json", include_in_schema=False)
    async def swagger_json() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/swagger.json", title="Conveyor API")


app = create_app()
