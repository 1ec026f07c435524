"""The public API gateway (port 8000): auth, rate limits, uploads, /api/v1 routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from services.gateway.auth.router import router as auth_router
from services.gateway.color.router import COLOR_UPLOAD_PATH
from services.gateway.color.router import router as color_router
from services.gateway.crawl.router import router as crawl_router
from services.gateway.credits.router import router as credits_router
from services.gateway.errors import install_error_handlers
from services.gateway.jobs.router import router as jobs_router
from services.gateway.jobs_client import JobsClient
from services.gateway.limits import BodySizeLimit
from services.gateway.metrics import RequestMetrics
from services.gateway.metrics import router as metrics_router
from services.gateway.notifications.router import router as notifications_router
from services.gateway.openapi import with_response_examples, without_v3_validation_422
from services.gateway.pages.router import router as pages_router
from services.gateway.pages.router import tasks_router as page_tasks_router
from services.gateway.pdf.router import router as pdf_router
from services.gateway.ratelimit import limiter
from services.gateway.receipts.router import RECEIPT_UPLOAD_PATH
from services.gateway.receipts.router import router as receipts_router
from services.gateway.settings import get_gateway_settings
from services.gateway.system.router import router as system_router
from services.gateway.web.router import mount_web_app
from services.gateway.webhooks.router import router as webhooks_router
from shared import storage
from shared.allocator import keep_freed_memory_for_reuse
from shared.api_docs import mount_docs_assets, redoc_page, swagger_page
from shared.gc_tuning import freeze_startup_objects
from shared.logging import configure_logging
from shared.request_context import RequestContext, bind_path_ids

DESCRIPTION = """Submit documents and images for asynchronous processing.

1. `POST /api/v1/auth/register`, then `POST /api/v1/auth/login` for a bearer token.
2. `POST /api/v1/jobs/confirm` with a PDF: the job is created and its credits reserved.
3. `POST /api/v1/process-pdf-async` with the same file and the `job_id`: 202.
4. Poll `GET /api/v1/jobs/{job_id}` until `completed`, download
   `GET /api/v1/jobs/{job_id}/result?format=json|txt`, then `POST /api/v1/jobs/{job_id}/finalize`.

Receipts (API v3, every answer in the envelope `{status_code, message, data}`):
`POST /api/v3/receipts/process` with a photo (`file`), then poll
`GET /api/v3/receipts/status/{job_id}` until `SUCCESS`; `data.result` holds the receipt.

Colours: `GET /api/v1/palette` (RAL Classic, reference L*a*b* D65/10°),
`POST /api/v1/color/match` `{"rgb": [255, 0, 0], "top_n": 3}` for the nearest RAL colours,
`POST /api/v1/color/delta-e` `{"color1": {"ral": "RAL 3000"}, "color2": {"hex": "#A52019"}}`.
"""


# An upload is staged for as long as its request runs; one this old was left by a crash.
_STAGED_UPLOAD_MAX_AGE_SECONDS = 3600.0


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_gateway_settings()
    app.state.jobs_client = JobsClient(base_url=settings.jobs_service_url,
                                       service_token=settings.service_token,
                                       timeout=settings.jobs_service_timeout_seconds)
    # Uploads a crashed request staged and never published (STORAGE_BACKEND=s3).
    await run_in_threadpool(storage.sweep_staging, _STAGED_UPLOAD_MAX_AGE_SECONDS)
    freeze_startup_objects()
    yield
    await app.state.jobs_client.aclose()


def create_app() -> FastAPI:
    configure_logging("gateway")
    keep_freed_memory_for_reuse()  # colour uploads are decoded here (shared.color.pixels)
    settings = get_gateway_settings()
    # The docs pages are ours (_add_docs): FastAPI's own load their scripts from a CDN.
    app = FastAPI(title="Conveyor API", version="1.0.0", description=DESCRIPTION,
                  lifespan=_lifespan, docs_url=None, redoc_url=None,
                  dependencies=[Depends(bind_path_ids)])
    app.state.limiter = limiter
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_upload_bytes=settings.max_upload_bytes,
                       max_other_bytes=settings.max_json_bytes,
                       file_limits={RECEIPT_UPLOAD_PATH: settings.max_receipt_bytes,
                                    COLOR_UPLOAD_PATH: settings.max_color_upload_bytes})
    app.add_middleware(RequestMetrics)  # refusals of the body limit count too
    app.add_middleware(RequestContext)  # outermost: every line of the request has its id
    for router in (system_router, auth_router, credits_router, pdf_router, jobs_router,
                   receipts_router, pages_router, page_tasks_router, notifications_router,
                   color_router, crawl_router, webhooks_router, metrics_router):
        app.include_router(router)
    _add_docs(app)
    mount_web_app(app)  # the web app at / and /app/..., outside the OpenAPI document
    _post_process_openapi(app)
    return app


def _post_process_openapi(app: FastAPI) -> None:
    """The generated document, once, with each response's example beside it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        document = generate()
        if fresh:
            with_response_examples(without_v3_validation_422(document))
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs, ReDoc at /redoc, with their assets served from here (they
    work offline); seed 000 documents /api/docs and /api/swagger.json: the same spec."""
    mount_docs_assets(app)

    @app.get("/api/swagger.json", include_in_schema=False)
    async def swagger_json() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return swagger_page(openapi_url="/openapi.json", title=app.title)

    @app.get("/api/docs", include_in_schema=False)
    async def seed_swagger_ui() -> HTMLResponse:
        return swagger_page(openapi_url="/api/swagger.json", title=app.title)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return redoc_page(openapi_url="/openapi.json", title=app.title)


app = create_app()
