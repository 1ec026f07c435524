"""The job-tracking service (internal, port 8001): job lifecycle and the credit ledger."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text

from services.jobs.deps import require_service_token
from services.jobs.errors import ERROR_HANDLERS
from services.jobs.jobs.router import router as jobs_router
from services.jobs.jobs.signals import JobSignals
from services.jobs.metrics.router import router as metrics_router
from shared.api_docs import mount_docs_assets, redoc_page, swagger_page
from shared.db import dispose_async_engine, in_transaction_thread
from shared.gc_tuning import freeze_startup_objects
from shared.logging import configure_logging
from shared.request_context import RequestContext, bind_path_ids
from shared.settings import get_settings

OPENAPI_URL = "/openapi.json"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    signals: JobSignals = app.state.job_signals
    signals.start()
    freeze_startup_objects()
    yield
    await signals.stop()
    await dispose_async_engine()


def create_app() -> FastAPI:
    configure_logging("jobs")
    # The schema and docs are served by _docs_router, behind the service token.
    app = FastAPI(title="Conveyor job service", version="1.0.0", lifespan=_lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None,
                  exception_handlers=ERROR_HANDLERS)
    settings = get_settings()
    app.state.job_signals = JobSignals(settings.effective_database_url,
                                       recheck_seconds=settings.job_wait_recheck_seconds)
    app.include_router(jobs_router, dependencies=[Depends(require_service_token),
                                                  Depends(bind_path_ids)])
    app.include_router(_docs_router(app), dependencies=[Depends(require_service_token)])
    app.include_router(metrics_router)  # no token: see services/jobs/metrics/router.py
    mount_docs_assets(app)
    app.add_middleware(RequestContext)  # the gateway's X-Request-ID, in every line

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness plus a database round trip."""
        await in_transaction_thread(lambda session: session.execute(text("SELECT 1")))
        return {"status": "ok"}

    return app


def _docs_router(app: FastAPI) -> APIRouter:
    """The internal API's schema and docs: for other Conveyor services and their
    developers only, like the API itself."""
    router = APIRouter(include_in_schema=False)

    @router.get(OPENAPI_URL)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        return swagger_page(openapi_url=OPENAPI_URL, title=app.title)

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        return redoc_page(openapi_url=OPENAPI_URL, title=app.title)

    return router


app = create_app()
