"""The web app (issue 21): a page at `/` and its assets under `/app/`, static files with no
build step, served by the gateway and kept out of the OpenAPI document.

The page loads nothing from another host and runs no inline script or style, so its
Content-Security-Policy can be `default-src 'self'`; `blob:` images are the results it
fetches with the token and shows as object URLs.
"""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_URL = "/app"
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "img-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'"))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Revalidated each time (the ETag makes that cheap): a new release is never half-cached.
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    """The web app's only page; it routes between its screens itself (`#jobs`...)."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers=SECURITY_HEADERS)


class _Assets(StaticFiles):
    """StaticFiles, its answers carrying the page's security headers."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(SECURITY_HEADERS)
        return response


def mount_web_app(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(ASSETS_URL, _Assets(directory=STATIC_DIR), name="web-app")
