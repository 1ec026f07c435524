"""The job-tracking service (internal, port 8001): job lifecycle and the credit ledger."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from services.jobs.deps import require_service_token
from services.jobs.jobs.finished import FinishedJobs
from services.jobs.jobs.router import router as jobs_router
from shared.db import in_transaction_thread
from shared.errors import ConveyorError
from shared.logging import configure_logging
from shared.settings import get_settings


async def _render_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConveyorError)
    return JSONResponse(exc.to_dict(), status_code=exc.code.http_status)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    finished: FinishedJobs = app.state.finished_jobs
    finished.start()
    yield
    await finished.stop()


def create_app() -> FastAPI:
    configure_logging("jobs")
    app = FastAPI(title="Conveyor job service", version="1.0.0", lifespan=_lifespan)
    settings = get_settings()
    app.state.finished_jobs = FinishedJobs(settings.effective_database_url,
                                           recheck_seconds=settings.job_wait_recheck_seconds)
    app.add_exception_handler(ConveyorError, _render_error)
    app.include_router(jobs_router, dependencies=[Depends(require_service_token)])

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness plus a database round trip."""
        await in_transaction_thread(lambda session: session.execute(text("SELECT 1")))
        return {"status": "ok"}

    return app


app = create_app()
