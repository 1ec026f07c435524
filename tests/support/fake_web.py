"""A local web for the crawler: pages, a sitemap, robots.txt, images good and bad, and
image-search APIs answering in Bing's and Google's documented formats.

Every image URL's behaviour is in its name, so a test reads like the site it crawls:
`redirect-loop`, `slow`, `huge`, `to-private`, `corrupt`, `truncated`, ... Requests are
logged (path, User-Agent) so tests can check what the crawler did and did not fetch.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from tests.support.local_server import LocalServer, QuietHandler, reply, serve
from tests.support.validation_images import DATASET

BING_KEY = "test-bing-key"
GOOGLE_KEY = "test-google-key"
GOOGLE_CX = "test-cx"
SLOW_SECONDS = 3.0  # longer than the tests' read timeout
SLOW_GALLERY_IMAGES = 40
SLOW_GALLERY_DELAY = 0.15  # per image, so a cancel lands mid-crawl


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


CAT_1 = png(64, 48, (200, 120, 40))
CAT_2 = jpeg(80, 60, (90, 90, 90))
CAT_SOFA = png(50, 50, (10, 200, 10))
DOG_1 = png(40, 40, (0, 0, 200))
# name -> (content type, body): images found on /gallery/cats.html
IMAGES: dict[str, tuple[str, bytes]] = {
    "cat-1.png": ("image/png", CAT_1),
    "cat-2-small.jpg": ("image/jpeg", jpeg(32, 24, (90, 90, 90))),
    "cat-2.jpg": ("image/jpeg", CAT_2),
    "sofa-photo.png": ("image/png", CAT_SOFA),
    "dog-1.png": ("image/png", DOG_1),
    "cat-copy.png": ("image/png", CAT_1),  # the same bytes as cat-1.png
    "cat-corrupt.png": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 40),
    "cat-truncated.jpg": ("image/jpeg", jpeg(120, 90, (250, 10, 10))[:400]),
    "cat-page.png": ("text/html", b"<html><body>not an image</body></html>"),
    "cat-text.png": ("image/png", b"just some text pretending"),
}
# The images a web crawl of /gallery/cats.html keeps for "cat", by their bytes.
WEB_KEPT = {"cat-1.png", "cat-2.jpg", "sofa-photo.png", "dog-1.png", "cat-corrupt.png",
            "cat-truncated.jpg"}


@dataclass
class FakeWeb(LocalServer):
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, user agent)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _agent in self.requests]

    def user_agents(self) -> set[str]:
        with self.lock:
            return {agent for _path, agent in self.requests}

    def start(self) -> FakeWeb:
        web = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with web.lock:
                    web.requests.append((self.path, self.headers.get("User-Agent", "")))
                # The crawler may hang up (a size limit or a timeout): expected.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    web.handle(self)

        self.server = serve(Handler)
        return self

    # -- routes -------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            reply(request, 200, "text/plain", b"User-agent: *\nDisallow: /private/\n")
        elif path == "/sitemap.xml":
            reply(request, 200, "application/xml", self._sitemap())
        elif path == "/index.html":
            reply(request, 200, "text/html", _page("Home", [
                '<a href="/gallery/cats.html">cats</a>', '<a href="/private/secret.html">x</a>',
                '<a href="http://elsewhere.invalid/page.html">away</a>']))
        elif path == "/gallery/cats.html":
            reply(request, 200, "text/html", self._cats_page())
        elif path == "/private/secret.html":
            reply(request, 200, "text/html", _page("Secret", ['<img src="/img/cat-9.png">']))
        elif path == "/slow-gallery.html":
            reply(request, 200, "text/html", _page("Slow cats", [
                f'<img src="/slow-img/cat-{n}.png" alt="cat {n}">'
                for n in range(SLOW_GALLERY_IMAGES)]))
        elif path.startswith("/slow-img/cat-"):
            time.sleep(SLOW_GALLERY_DELAY)
            number = int(path.rsplit("-", 1)[1].split(".")[0])
            reply(request, 200, "image/png", png(20 + number, 20, (number, 0, 0)))
        elif path == "/dataset.html":  # validation levels: tests.support.validation_images
            reply(request, 200, "text/html", _page("Birds", [
                f'<img src="/dataset/{name}" alt="a bird">' for name in DATASET]))
        elif path.startswith("/dataset/") and path.removeprefix("/dataset/") in DATASET:
            content_type, body, _verdicts = DATASET[path.removeprefix("/dataset/")]
            reply(request, 200, content_type, body)
        elif path.startswith("/img/"):
            self._image(request, path.removeprefix("/img/"))
        elif path == "/v7.0/images/search":
            self._bing(request, query)
        elif path == "/customsearch/v1":
            self._google(request, query)
        else:
            reply(request, 404, "text/plain", b"not found")

    def _sitemap(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{self.url}/gallery/cats.html</loc></url>"
            "</urlset>").encode()

    def _cats_page(self) -> bytes:
        return _page("Cat gallery", [
            '<img src="/img/cat-1.png" alt="a tabby cat">',
            '<img srcset="/img/cat-2-small.jpg 320w, /img/cat-2.jpg 1280w" alt="cat asleep">',
            '<figure><img src="/img/sofa-photo.png"><figcaption>A cat on the sofa'
            "</figcaption></figure>",
            '<img src="/img/dog-1.png" alt="a dog">',
            '<img src="/img/cat-copy.png" alt="the same cat">',
            '<img src="/img/cat-corrupt.png" alt="cat">',
            '<img src="/img/cat-truncated.jpg" alt="cat">',
            '<img src="/img/cat-page.png" alt="cat">',
            '<img src="/img/cat-text.png" alt="cat">',
            '<img src="/img/cat-redirect-loop.png" alt="cat">',
            '<img src="/img/cat-slow.jpg" alt="cat">',
            '<img src="/img/cat-huge.png" alt="cat">',
            '<img src="/img/cat-to-private.png" alt="cat">',
            '<img src="/img/cat-missing.png" alt="cat">',
            '<a href="/gallery/cats.html#again">again</a>'])

    def _image(self, request: BaseHTTPRequestHandler, name: str) -> None:
        if name in IMAGES:
            content_type, body = IMAGES[name]
            reply(request, 200, content_type, body)
        elif name in ("cat-redirect-loop.png", "loop-b.png"):
            target = "/img/loop-b.png" if name == "cat-redirect-loop.png" \
                else "/img/cat-redirect-loop.png"
            _redirect(request, target)
        elif name == "cat-to-private.png":
            _redirect(request, "http://169.254.169.254/latest/meta-data/")
        elif name == "cat-slow.jpg":
            time.sleep(SLOW_SECONDS)
            reply(request, 200, "image/jpeg", CAT_2)
        elif name == "cat-huge.png":  # no Content-Length: only the streamed count stops it
            request.send_response(200)
            request.send_header("Content-Type", "image/png")
            request.send_header("Connection", "close")
            request.end_headers()
            request.wfile.write(b"\x89PNG\r\n\x1a\n")
            for _ in range(200):
                request.wfile.write(b"\x00" * 65536)
        else:
            reply(request, 404, "text/plain", b"not found")

    def _bing(self, request: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        if request.headers.get("Ocp-Apim-Subscription-Key") != BING_KEY:
            reply(request, 401, "application/json", b'{"error": {"code": "401"}}')
            return
        keyword = query.get("q", [""])[0]
        offset, count = int(query.get("offset", ["0"])[0]), int(query.get("count", ["35"])[0])
        results = [{"contentUrl": f"{self.url}/img/{name}", "name": f"{keyword} {name}",
                    "hostPageUrl": f"{self.url}/gallery/cats.html",
                    "encodingFormat": name.rsplit(".", 1)[-1]}
                   for name in ("cat-1.png", "cat-2.jpg", "cat-page.png", "dog-1.png")]
        page = results[offset:offset + count]
        document = {"_type": "Images", "totalEstimatedMatches": len(results), "value": page,
                    "nextOffset": offset + len(page)}
        reply(request, 200, "application/json", json.dumps(document).encode())

    def _google(self, request: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        if query.get("key", [""])[0] != GOOGLE_KEY or query.get("cx", [""])[0] != GOOGLE_CX:
            reply(request, 400, "application/json", b'{"error": {"code": 400}}')
            return
        keyword = query.get("q", [""])[0]
        items = [{"kind": "customsearch#result", "title": f"{keyword} {name}",
                  "link": f"{self.url}/img/{name}", "mime": "image/png",
                  "image": {"contextLink": f"{self.url}/gallery/cats.html"}}
                 for name in ("sofa-photo.png", "cat-1.png")]
        reply(request, 200, "application/json", json.dumps({"items": items}).encode())


def _page(title: str, body: list[str]) -> bytes:
    return (f"<!doctype html><html><head><title>{title}</title></head><body>"
            + "\n".join(body) + "</body></html>").encode()


def _redirect(request: BaseHTTPRequestHandler, location: str) -> None:
    request.send_response(302)
    request.send_header("Location", location)
    request.send_header("Content-Length", "0")
    request.end_headers()
