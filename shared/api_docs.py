"""The interactive API docs (Swagger UI and ReDoc) of the two HTTP services, with their
scripts, styles and icon served by the service itself, so the pages work on a machine
without internet.

The assets are the Swagger UI 5 and ReDoc bundles that the `fastapi-offline` package
ships (pinned in uv.lock; the package is MIT, Swagger UI Apache-2.0, ReDoc MIT), so no
copy of them lives in this repository. Only the gateway and the job service import this
module: both install the `api` extra.
"""

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
# Swagger UI would otherwise show a badge image fetched from the public validator.
_SWAGGER_PARAMETERS = {"validatorUrl": None}


def mount_docs_assets(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(packages=[("fastapi_offline", "static")]),
              name="docs-assets")


def swagger_page(*, openapi_url: str, title: str) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{title} - Swagger UI",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        swagger_ui_parameters=_SWAGGER_PARAMETERS)


def redoc_page(*, openapi_url: str, title: str) -> HTMLResponse:
    return get_redoc_html(openapi_url=openapi_url, title=f"{title} - ReDoc",
                          redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                          redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
                          with_google_fonts=False)
