"""Polite, bounded HTTP for the crawler: every page and image goes through `Fetcher`.

- Redirects are followed by hand, at most `crawl_max_redirects`, each hop checked against
  robots.txt and (at connect time) the address policy; a loop is cut at the first repeat.
- Bodies are streamed and abandoned past their limit: a huge body is never held whole.
- robots.txt (RFC 9309) is fetched once per host and chunk: a 4xx means no rules, a 5xx or
  an unreachable host means stay out. Its Crawl-delay lengthens the pause between requests
  to one host (`crawl_host_delay_seconds`), up to `crawl_max_host_delay_seconds`.
- At most `crawl_host_concurrency` requests to one host are in flight across every crawl
  worker process (slots counted in Redis; without Redis, per process).
"""

from __future__ import annotations

import time
import urllib.robotparser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
import redis

from services.workers.crawl.settings import CrawlSettings
from shared.address_policy import AddressPolicy, AddressRefused, GuardedTransport

_REDIRECTS = (301, 302, 303, 307, 308)
_ROBOTS_MAX_BYTES = 512 * 1024
_SLOT_TTL_SECONDS = 120  # a crashed worker's slot frees itself after this long


class FetchRefused(Exception):
    """The URL was not fetched, or its body not kept; `reason` is a short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, kw_only=True)
class Fetched:
    url: str  # after redirects
    content_type: str | None
    body: bytes


class Fetcher:
    def __init__(self, settings: CrawlSettings, *, redis_client: redis.Redis | None = None
                 ) -> None:
        self._settings = settings
        self._client = httpx.Client(
            transport=GuardedTransport(AddressPolicy.from_setting(
                settings.crawl_allowed_networks)),
            follow_redirects=False,
            headers={"User-Agent": settings.crawl_user_agent},
            timeout=httpx.Timeout(settings.crawl_read_timeout_seconds,
                                  connect=settings.crawl_connect_timeout_seconds))
        self._redis = redis_client
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._last_request: dict[str, float] = {}

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, max_bytes: int, accept: str = "*/*") -> Fetched:
        """GET `url`, following redirects; FetchRefused with the reason when it cannot be
        had within the rules."""
        seen: set[str] = set()
        for _ in range(self._settings.crawl_max_redirects + 1):
            if url in seen:
                raise FetchRefused("redirect_loop", f"{url} redirects back to itself")
            seen.add(url)
            self._check_scheme(url)
            if not self.allowed_by_robots(url):
                raise FetchRefused("robots_disallowed", f"robots.txt disallows {url}")
            response_or_next = self._one_request(url, max_bytes=max_bytes, accept=accept)
            if isinstance(response_or_next, Fetched):
                return response_or_next
            url = response_or_next
        raise FetchRefused("too_many_redirects",
                           f"more than {self._settings.crawl_max_redirects} redirects")

    def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        return rules is not None and rules.can_fetch(self._settings.crawl_user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """The host's rules; an empty rule set for a 4xx, None (stay out) for 5xx or none."""
        rules = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        try:
            fetched = self._one_request(f"{origin}/robots.txt", max_bytes=_ROBOTS_MAX_BYTES,
                                        accept="text/plain", allow_errors=True)
        except FetchRefused as refusal:
            if refusal.reason == "address_refused":
                raise  # say why, rather than "robots.txt unreachable"
            return None
        if isinstance(fetched, str):  # a redirected robots.txt: no rules, RFC 9309 2.3.1.2
            rules.parse([])
        elif fetched.status >= 500:
            return None
        elif fetched.status >= 400:
            rules.parse([])
        else:
            rules.parse(fetched.body.decode("utf-8", "replace").splitlines())
        return rules

    def _host_delay(self, host: str, origin: str) -> float:
        delay = self._settings.crawl_host_delay_seconds
        rules = self._robots.get(origin)
        crawl_delay = rules.crawl_delay(self._settings.crawl_user_agent) if rules else None
        if crawl_delay:
            delay = max(delay, float(crawl_delay))
        return min(delay, self._settings.crawl_max_host_delay_seconds)

    def _one_request(self, url: str, *, max_bytes: int, accept: str,
                     allow_errors: bool = False) -> _Response | str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        origin = f"{parts.scheme}://{parts.netloc}"
        wait = self._last_request.get(host, 0.0) + self._host_delay(host, origin) \
            - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            with self._host_slot(host):
                self._last_request[host] = time.monotonic()
                with self._client.stream("GET", url, headers={"Accept": accept}) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        return urljoin(url, response.headers["location"])
                    if response.status_code >= 400 and not allow_errors:
                        raise FetchRefused("http_error", f"{url} answered "
                                           f"{response.status_code}")
                    body = _read_limited(response, max_bytes)
                    return _Response(url=str(response.url), status=response.status_code,
                                     content_type=response.headers.get("content-type"),
                                     body=body)
        except AddressRefused as exc:
            raise FetchRefused("address_refused", str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise FetchRefused("timeout", f"{url}: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise FetchRefused("network_error", f"{url}: {exc}") from exc

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        if self._redis is None:
            yield
            return
        key = f"{self._settings.redis_key_prefix}crawl:host:{host}"
        while True:
            taken = self._redis.incr(key)
            self._redis.expire(key, _SLOT_TTL_SECONDS)
            if int(taken) <= self._settings.crawl_host_concurrency:  # type: ignore[arg-type]
                break
            self._redis.decr(key)
            time.sleep(0.05)
        try:
            yield
        finally:
            self._redis.decr(key)

    @staticmethod
    def _check_scheme(url: str) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchRefused("bad_scheme", f"only http and https are crawled: {url}")


@dataclass(frozen=True, kw_only=True)
class _Response(Fetched):
    status: int


def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused("too_large", f"{response.url} declares {declared} bytes "
                           f"(limit {max_bytes})")
    body = bytearray()
    for piece in response.iter_bytes():
        body += piece
        if len(body) > max_bytes:
            raise FetchRefused("too_large", f"{response.url} sent more than {max_bytes} bytes")
    return bytes(body)
