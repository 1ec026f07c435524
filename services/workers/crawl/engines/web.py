"""The `web` engine: crawl from the job's seed URLs and collect the images pages show.

Breadth first from each seed (a page, or a sitemap whose <loc> entries become pages), up
to `max_depth` links away and `max_pages` pages a chunk, on the seed's host unless
`same_host` is off. Images come from <img src>, <img srcset> (the widest candidate),
<source srcset> in <picture>, and lazy-loading `data-src`. Each is scored by how much of
the keyword appears in its alt/title text, its file name, the figure caption or the page
title (at half weight: it says what the page is about, not each image); candidates are
offered best first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from services.workers.crawl.engines.base import (
    Candidate,
    PageRefusal,
    file_name_words,
    keyword_relevance,
)
from services.workers.crawl.fetcher import Fetcher, FetchRefused
from services.workers.crawl.settings import CrawlSettings
from shared.crawl.params import CrawlRequest

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_XML_TYPES = ("application/xml", "text/xml")
# A page title names what a page is about, not what each of its images shows.
_PAGE_TITLE_WEIGHT = 0.5
_SRCSET_WIDTH = re.compile(r"^(\d+(?:\.\d+)?)[wx]$")


@dataclass
class _ImageSeen:
    url: str
    page_url: str
    alt_text: str
    caption: str = ""  # of the <figure> holding it
    page_title: str = ""


@dataclass
class _Page:
    links: list[str] = field(default_factory=list)
    images: list[_ImageSeen] = field(default_factory=list)


class WebEngine:
    def __init__(self, fetcher: Fetcher, settings: CrawlSettings) -> None:
        self._fetcher = fetcher
        self._settings = settings
        self.refused_pages: list[PageRefusal] = []

    def candidates(self, keyword: str, request: CrawlRequest, *, limit: int
                   ) -> Iterator[Candidate]:
        seen: dict[str, Candidate] = {}
        for image in self._crawl(request):
            relevance = max(keyword_relevance(keyword, image.alt_text, image.caption,
                                              file_name_words(image.url)),
                            _PAGE_TITLE_WEIGHT * keyword_relevance(keyword, image.page_title))
            known = seen.get(image.url)
            if known is None or relevance > known.relevance:
                seen[image.url] = Candidate(url=image.url, page_url=image.page_url,
                                            alt_text=image.alt_text or None,
                                            relevance=relevance)
        # Stable sort: equally relevant images keep the order the crawl met them in.
        yield from sorted(seen.values(), key=lambda c: -c.relevance)

    def _crawl(self, request: CrawlRequest) -> Iterator[_ImageSeen]:
        queue: deque[tuple[str, int, str]] = deque(
            (str(url), 0, urlsplit(str(url)).hostname or "") for url in request.seed_urls)
        visited: set[str] = set()
        seeds = {urldefrag(str(url)).url for url in request.seed_urls}
        while queue and len(visited) < request.max_pages:
            url, depth, seed_host = queue.popleft()
            url = urldefrag(url).url
            if url in visited:
                continue
            visited.add(url)
            try:
                fetched = self._fetcher.get(url, max_bytes=self._settings.crawl_max_page_bytes,
                                            accept="text/html,application/xml;q=0.9")
            except FetchRefused as refusal:
                # An unreachable page costs its images, not the chunk; the chunk says why.
                self.refused_pages.append(PageRefusal(
                    url=url, reason=refusal.reason, detail=refusal.detail[:300],
                    seed=url in seeds))
                continue
            media_type = (fetched.content_type or "").split(";")[0].strip().lower()
            if media_type in _XML_TYPES or fetched.body.lstrip()[:5] == b"<?xml":
                for location in _sitemap_locations(fetched.body):
                    queue.append((location, depth, seed_host))
                continue
            if media_type and media_type not in _HTML_TYPES:
                continue
            page = _parse_page(fetched.body.decode("utf-8", "replace"), fetched.url)
            yield from page.images
            if depth < request.max_depth:
                for link in page.links:
                    if not request.same_host or urlsplit(link).hostname == seed_host:
                        queue.append((link, depth + 1, seed_host))


def _sitemap_locations(body: bytes) -> list[str]:
    """<loc> of a sitemap or sitemap index (both are crawled as pages to visit)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    return [element.text.strip() for element in root.iter()
            if element.tag.rsplit("}", 1)[-1] == "loc" and element.text]


class _PageParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = base_url
        self.base_url = base_url  # a <base href> may move it
        self.page = _Page()
        self._title: list[str] = []
        self._in_title = False
        self._caption: list[str] = []
        self._figure_images: list[_ImageSeen] = []
        self._figure_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and values.get("href"):
            self.base_url = urljoin(self.base_url, values["href"])
        elif tag == "title":
            self._in_title = True
        elif tag == "a" and values.get("href"):
            link = urljoin(self.base_url, values["href"])
            if urlsplit(link).scheme in ("http", "https"):
                self.page.links.append(urldefrag(link).url)
        elif tag == "figure":
            self._figure_depth += 1
        elif tag in ("img", "source"):
            self._image(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "figure" and self._figure_depth:
            self._figure_depth -= 1
            if not self._figure_depth:
                caption = " ".join(self._caption)
                for image in self._figure_images:
                    image.caption = caption
                self._caption, self._figure_images = [], []

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif self._figure_depth:
            self._caption.append(data.strip())

    def _image(self, values: dict[str, str]) -> None:
        source = _widest_in_srcset(values.get("srcset", "")) or values.get("src") \
            or values.get("data-src")
        if not source or source.startswith("data:"):
            return
        url = urljoin(self.base_url, source.strip())
        if urlsplit(url).scheme not in ("http", "https"):
            return
        alt = " ".join(filter(None, (values.get("alt"), values.get("title"))))
        image = _ImageSeen(url=urldefrag(url).url, page_url=self.page_url, alt_text=alt)
        self.page.images.append(image)
        if self._figure_depth:
            self._figure_images.append(image)

    def finish(self) -> _Page:
        title = " ".join(self._title).strip()
        for image in self.page.images:
            image.page_title = title
        return self.page


def _widest_in_srcset(srcset: str) -> str | None:
    best, best_size = None, -1.0
    for entry in srcset.split(","):
        parts = entry.split()
        if not parts:
            continue
        match = _SRCSET_WIDTH.match(parts[1]) if len(parts) > 1 else None
        size = float(match.group(1)) if match else 1.0
        if size > best_size:
            best, best_size = parts[0], size
    return best


def _parse_page(html: str, url: str) -> _Page:
    parser = _PageParser(url)
    parser.feed(html)
    parser.close()
    return parser.finish()
