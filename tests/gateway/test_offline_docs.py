"""/docs, /redoc and /api/docs work on a machine without internet: every script, style
and icon they load, and the schema they read, is served by the gateway itself."""

import re
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

DOC_PAGES = ("/docs", "/redoc", "/api/docs")
# src="..." and href="..." attributes, Swagger UI's `url: '...'`, ReDoc's spec-url.
_REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")


def referenced_urls(html: str) -> list[str]:
    return [attribute or script for attribute, script in _REFERENCE.findall(html)]


@pytest.mark.parametrize("page", DOC_PAGES)
def test_docs_page_and_everything_it_loads_come_from_the_gateway(api: httpx.Client,
                                                                 page: str) -> None:
    response = api.get(page)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    urls = referenced_urls(response.text)
    assert any(url.endswith(".js") for url in urls), urls  # the page's own script
    assert any("openapi.json" in url or "swagger.json" in url for url in urls), urls
    gateway_host = urlsplit(str(api.base_url)).netloc
    for url in urls:
        absolute = urljoin(f"{api.base_url}{page}", url)
        assert urlsplit(absolute).netloc == gateway_host, f"{page} loads {url} from elsewhere"
        asset = api.get(absolute)
        assert asset.status_code == 200, (url, asset.status_code)
        assert asset.content, url
    # Nothing in the page itself names another host (a CDN, a font service).
    assert not re.search(r"https?://", response.text), response.text
