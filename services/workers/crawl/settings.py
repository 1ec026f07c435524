"""The crawl worker's knobs: politeness, limits, the address policy and the search APIs."""

from functools import lru_cache

from shared.settings import Settings


class CrawlSettings(Settings):
    crawl_user_agent: str = "ConveyorCrawler/1.0 (+https://conveyor.example/crawler)"
    crawl_connect_timeout_seconds: float = 5.0
    crawl_read_timeout_seconds: float = 10.0
    crawl_max_image_bytes: int = 10 * 1024 * 1024
    crawl_max_page_bytes: int = 2 * 1024 * 1024
    crawl_max_redirects: int = 5
    # Pause between two requests to one host from one chunk (robots.txt's Crawl-delay wins
    # when longer, up to crawl_max_host_delay_seconds).
    crawl_host_delay_seconds: float = 0.5
    crawl_max_host_delay_seconds: float = 10.0
    # Requests in flight to one host across every crawl worker process (Redis slots).
    crawl_host_concurrency: int = 2
    # Private, loopback, link-local and other non-public addresses are refused; these
    # networks (CIDR, comma separated) are let through anyway, e.g. "10.1.2.0/24".
    crawl_allowed_networks: str = ""
    bing_api_url: str = "https://api.bing.microsoft.com"
    bing_api_key: str = ""
    google_api_url: str = "https://www.googleapis.com"
    google_api_key: str = ""
    google_cx: str = ""

    # Celery rate limits (per worker, as Celery counts them), seed 004: download tasks per
    # engine, validation tasks per level.
    crawl_engine_task_rate_limit: str = "10/m"
    validation_rate_limit_fast: str = "1000/m"
    validation_rate_limit_medium: str = "500/m"
    validation_rate_limit_slow: str = "100/m"
    # What the medium level accepts.
    validation_min_width: int = 32
    validation_min_height: int = 32
    validation_allowed_formats: str = "jpeg,png,webp,gif"
    # What the slow level refuses: a variance of the Laplacian below this (on the image
    # scaled to at most 512 px) is blurry; one tone over this share of the pixels is
    # near-empty; perceptual hashes this few bits apart are near-duplicates.
    validation_blur_threshold: float = 100.0
    validation_near_empty_share: float = 0.98
    validation_duplicate_distance: int = 6


@lru_cache
def get_crawl_settings() -> CrawlSettings:
    return CrawlSettings()
