"""What every engine gives the crawler: image candidates for one keyword, best first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

from services.workers.crawl.fetcher import Fetcher
from services.workers.crawl.settings import CrawlSettings
from shared.crawl.params import CrawlRequest


@dataclass(frozen=True, kw_only=True)
class Candidate:
    url: str  # the image
    page_url: str | None  # the page that showed it
    alt_text: str | None
    relevance: float  # how well the keyword matched, 0 = not at all


class EngineNotConfigured(Exception):
    """The engine needs settings (an API key) this deployment does not have."""


@dataclass(frozen=True, kw_only=True)
class PageRefusal:
    """A page (or a seed) the engine could not read, and why (`FetchRefused.reason`)."""

    url: str
    reason: str
    detail: str
    seed: bool  # one of the job's seed URLs


class SearchEngine(Protocol):
    # Pages refused while finding candidates, filled as `candidates` is consumed.
    refused_pages: list[PageRefusal]

    def __init__(self, fetcher: Fetcher, settings: CrawlSettings) -> None: ...

    def candidates(self, keyword: str, request: CrawlRequest, *, limit: int
                   ) -> Iterator[Candidate]:
        """Image candidates for `keyword`, best first; `limit` is how many the chunk may
        keep (an engine may offer more, since some will be refused)."""
        ...


def keyword_relevance(keyword: str, *texts: str | None) -> float:
    """The share of the keyword's words found in `texts` (alt text, file name, nearby
    text), case-insensitive, on word boundaries; file names count their parts split at
    -, _ and dots."""
    words = _words(keyword)
    if not words:
        return 0.0
    found = set()
    for text in texts:
        if text:
            found |= words & _words(text)
    return len(found) / len(words)


def file_name_words(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _words(text: str) -> set[str]:
    return {word for word in re.split(r"[^\w]+|_", text.casefold()) if word}

