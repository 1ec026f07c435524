"""A crawl job's request (seed 004's `{name, keywords, engines, max_images}` and the `web`
engine's starting points), checked once at the gateway and read back by the worker from
the job's params."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints, model_validator

from shared.db import WITHOUT_NUL

MAX_KEYWORDS = 20
MAX_ENGINES = 3
MAX_IMAGES = 10_000
MAX_SEED_URLS = 50

# Keywords and the name are stored in the job's params (JSONB): no NUL characters.
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100,
                                           pattern=WITHOUT_NUL)]


class Engine(enum.StrEnum):
    WEB = "web"  # follows links from the job's seed URLs (pages or sitemaps)
    BING = "bing"  # Bing Image Search API v7
    GOOGLE = "google"  # Google Custom Search JSON API, searchType=image


class CrawlRequest(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=WITHOUT_NUL,
                             description="default: the keywords")
    keywords: list[Keyword] = Field(min_length=1, max_length=MAX_KEYWORDS)
    engines: list[Engine] = Field(default=[Engine.WEB], min_length=1, max_length=MAX_ENGINES)
    max_images: int = Field(ge=1, le=MAX_IMAGES, description="credits are reserved for this "
                            "many images and charged for those kept")
    seed_urls: list[AnyHttpUrl] = Field(default_factory=list, max_length=MAX_SEED_URLS,
                                        description="pages or sitemaps the web engine "
                                        "starts from")
    max_depth: int = Field(default=2, ge=0, le=5, description="links followed from a seed")
    max_pages: int = Field(default=50, ge=1, le=1000, description="pages fetched per chunk")
    same_host: bool = Field(default=True, description="follow links to the seed's host only")

    @model_validator(mode="after")
    def _web_needs_seed_urls(self) -> CrawlRequest:
        if Engine.WEB in self.engines and not self.seed_urls:
            raise ValueError("the web engine needs seed_urls (pages or sitemaps to start "
                             "from)")
        if len(set(self.engines)) != len(self.engines):
            raise ValueError("engines must not repeat")
        if self.name is None:
            self.name = ", ".join(self.keywords)[:200]
        return self

    def job_params(self) -> dict[str, object]:
        return self.model_dump(mode="json")


def chunk_quotas(max_images: int, chunks: int) -> list[int]:
    """`max_images` shared out over the chunks as evenly as it goes, first chunks first."""
    base, extra = divmod(max_images, chunks)
    return [base + (index < extra) for index in range(chunks)]


class ValidationLevel(enum.StrEnum):
    FAST = "fast"  # magic bytes, file size and declared type agree
    MEDIUM = "medium"  # fast + full decode, dimensions, minimum size, formats, truncation
    SLOW = "slow"  # medium + blur, near-empty images, near-duplicates within the job


class ValidationParams(BaseModel):
    """A validation job's parameters: the crawl job whose images it checks, and how."""

    crawl_job_id: int
    level: ValidationLevel


class ValidationRequest(BaseModel):
    level: ValidationLevel = Field(default=ValidationLevel.MEDIUM,
                                   description="fast, medium (default) or slow")
