"""Adapters for image-search APIs. Their base URLs are settings, so tests (and regional
or proxy deployments) point them elsewhere; the keys come from the environment.

- `bing`: Bing Image Search API v7, `GET {BING_API_URL}/v7.0/images/search?q=&count=&offset=`
  with the `Ocp-Apim-Subscription-Key` header; results in `value[]` (`contentUrl`,
  `hostPageUrl`, `name`), the next page at `nextOffset`.
- `google`: Custom Search JSON API, `GET {GOOGLE_API_URL}/customsearch/v1?key=&cx=&q=
  &searchType=image&num=&start=`; results in `items[]` (`link`, `title`,
  `image.contextLink`), the next page at `queries.nextPage[0].startIndex`. It serves at
  most 100 results a query (start + num <= 101).

The API itself is operator configuration, so it is called directly; the image URLs it
returns are fetched like any other, through the crawler's address policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from services.workers.crawl.engines.base import (
    Candidate,
    EngineNotConfigured,
    PageRefusal,
    keyword_relevance,
)
from services.workers.crawl.fetcher import Fetcher, FetchRefused
from services.workers.crawl.settings import CrawlSettings
from shared.crawl.params import CrawlRequest

# Ask for more than the chunk may keep: some results will be refused or duplicates.
_OVERSAMPLE = 2
_BING_PAGE = 150  # the API's maximum `count`
_GOOGLE_PAGE = 10  # the API's maximum `num`
_GOOGLE_LAST_START = 91


class _SearchApi:
    def __init__(self, fetcher: Fetcher, settings: CrawlSettings) -> None:
        self._settings = settings
        self.refused_pages: list[PageRefusal] = []  # an API has no pages of its own
        self._client = httpx.Client(
            headers={"User-Agent": settings.crawl_user_agent},
            timeout=httpx.Timeout(settings.crawl_read_timeout_seconds,
                                  connect=settings.crawl_connect_timeout_seconds))

    def _get_json(self, url: str, *, params: dict[str, Any],
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = self._client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise FetchRefused("search_api_unreachable", f"{url}: {exc}") from exc
        if response.status_code != 200:
            raise FetchRefused("search_api_error",
                               f"{url} answered {response.status_code}: {response.text[:200]}")
        try:
            document = response.json()
        except ValueError as exc:
            raise FetchRefused("search_api_error", f"{url} did not answer JSON") from exc
        return document if isinstance(document, dict) else {}


class BingEngine(_SearchApi):
    def candidates(self, keyword: str, request: CrawlRequest, *, limit: int
                   ) -> Iterator[Candidate]:
        if not self._settings.bing_api_key:
            raise EngineNotConfigured("the bing engine needs BING_API_KEY")
        wanted, offset = limit * _OVERSAMPLE, 0
        url = f"{self._settings.bing_api_url.rstrip('/')}/v7.0/images/search"
        while offset < wanted:
            document = self._get_json(url, params={
                "q": keyword, "count": min(_BING_PAGE, wanted - offset), "offset": offset},
                headers={"Ocp-Apim-Subscription-Key": self._settings.bing_api_key})
            results = [item for item in document.get("value") or []
                       if isinstance(item, dict) and item.get("contentUrl")]
            for item in results:
                name = item.get("name")
                yield Candidate(url=item["contentUrl"], page_url=item.get("hostPageUrl"),
                                alt_text=name, relevance=keyword_relevance(keyword, name))
            next_offset = document.get("nextOffset")
            if not results or not isinstance(next_offset, int) or next_offset <= offset:
                return
            offset = next_offset


class GoogleEngine(_SearchApi):
    def candidates(self, keyword: str, request: CrawlRequest, *, limit: int
                   ) -> Iterator[Candidate]:
        if not (self._settings.google_api_key and self._settings.google_cx):
            raise EngineNotConfigured("the google engine needs GOOGLE_API_KEY and GOOGLE_CX")
        wanted, start = limit * _OVERSAMPLE, 1
        url = f"{self._settings.google_api_url.rstrip('/')}/customsearch/v1"
        while start <= min(wanted, _GOOGLE_LAST_START):
            document = self._get_json(url, params={
                "key": self._settings.google_api_key, "cx": self._settings.google_cx,
                "q": keyword, "searchType": "image", "num": _GOOGLE_PAGE, "start": start})
            results = [item for item in document.get("items") or []
                       if isinstance(item, dict) and item.get("link")]
            for item in results:
                title = item.get("title")
                context = (item.get("image") or {}).get("contextLink")
                yield Candidate(url=item["link"], page_url=context, alt_text=title,
                                relevance=keyword_relevance(keyword, title))
            pages = ((document.get("queries") or {}).get("nextPage") or [{}])
            next_start = pages[0].get("startIndex") if isinstance(pages[0], dict) else None
            if not results or not isinstance(next_start, int) or next_start <= start:
                return
            start = next_start
