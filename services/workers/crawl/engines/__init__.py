"""Engines by name: each turns a keyword into image candidates (see base.SearchEngine)."""

from services.workers.crawl.engines.base import SearchEngine
from services.workers.crawl.engines.search_apis import BingEngine, GoogleEngine
from services.workers.crawl.engines.web import WebEngine
from shared.crawl.params import Engine

ENGINES: dict[Engine, type[SearchEngine]] = {
    Engine.WEB: WebEngine, Engine.BING: BingEngine, Engine.GOOGLE: GoogleEngine}
