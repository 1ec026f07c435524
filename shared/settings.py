"""One settings base for every service; each service subclasses it for its own knobs.

The embedded default (no DATABASE_URL / REDIS_URL set) runs on SQLite files under
DATA_DIR, with the Celery broker in an SQLite file too, so `make run` needs no server.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-change-me"  # refused in production, see the validator below


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    # `json`: one JSON object a line, for log collectors; `text` reads well in a terminal.
    log_format: Literal["text", "json"] = "text"
    data_dir: Path = Path("var")
    # Where uploads and results live (shared/storage): `local` files under DATA_DIR, the
    # embedded default; `s3` objects in one bucket of any S3-compatible store (MinIO in
    # compose, AWS S3, Ceph), so gateway and workers need no shared disk.
    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None  # None: AWS itself
    s3_bucket: str = "conveyor"
    s3_access_key_id: str | None = None  # None: boto3's own chain (instance role, ~/.aws)
    s3_secret_access_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    # Downloads: streamed through the gateway (the default: the store may be reachable only
    # inside the deployment), or a redirect to a URL presigned for this many seconds, signed
    # for S3_PUBLIC_ENDPOINT_URL when clients reach the store under another name.
    s3_presign_downloads: bool = False
    s3_presign_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    s3_public_endpoint_url: str | None = None
    # A worker keeps local copies of the objects it reads (a PDF's chunks all read the same
    # file) under DATA_DIR/cache, least recently used first out past this size.
    storage_cache_max_bytes: int = 1024 * 1024 * 1024
    database_url: str = ""
    redis_url: str = ""
    # Prefix for every broker and rate-limit key, so several deployments (or test runs)
    # can share one Redis without consuming each other's messages.
    redis_key_prefix: str = ""

    secret_key: str = DEFAULT_SECRET
    service_token: str = DEFAULT_SECRET
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_expire_seconds: int = 3600

    jobs_service_url: str = "http://127.0.0.1:8001"
    signup_credits: int = 100

    # Celery and the job lifecycle (see shared/celery_app.py and shared/jobs/reaper.py).
    task_soft_time_limit: int = 25 * 60
    task_time_limit: int = 30 * 60
    task_max_retries: int = 3  # transient failures and lost workers; attempts = retries + 1
    retry_backoff_seconds: float = 2.0
    ocr_retry_delay_seconds: float = 60.0  # seed 002: OCR tasks retry 60 s apart
    # Replacing a worker child stalls the task it was handed for seconds (3.4 s measured in
    # bench/pipeline_pages); at 50 that hit every 2-3 PDF jobs of 20 chunks. 500 still
    # recycles a leaking child regularly.
    worker_max_tasks_per_child: int = 500
    heartbeat_interval_seconds: float = 5.0
    # A PDF worker that settled a chunk takes the job's next one in the same transaction,
    # without a broker round trip, while its task began less than this long ago; after
    # that the job's chunks go through the queue again, where other jobs' chunks wait too.
    # Far below the soft time limit, which counts from the task's start.
    chunk_follow_on_seconds: float = 10.0
    # ... and takes as many of them at once as fit in this long at the pace of the ones
    # before (at most 8), to record them in one transaction: a settle costs some 6 ms
    # whatever it records, a PDFium chunk's reading some 25 (bench/RESULTS.md, session 20).
    chunk_follow_on_batch_seconds: float = 0.2
    heartbeat_timeout_seconds: float = 120.0
    # A chunk queued this long without a claim is published again (its message was lost).
    # A broker that restarted (its run_id changed) has its queued chunks republished at
    # once by the outbox relay instead: this is the net for losses the broker survives.
    queued_timeout_seconds: float = 300.0
    job_deadline_seconds: int = 6 * 3600
    pending_job_ttl_seconds: int = 24 * 3600  # a confirmed job never started gives back its credits
    finalize_after_seconds: int = 24 * 3600  # a completed job nobody finalized is settled then
    outbox_relay_after_seconds: float = 5.0
    # A request waiting for a job to end is woken by the job's end (Postgres NOTIFY); it
    # re-reads the job this often too, in case a notification was lost.
    job_wait_recheck_seconds: float = 1.0
    reaper_interval_seconds: float = 15.0
    celery_task_events: bool = False  # Flower needs them; nothing else reads them
    # A worker serves Prometheus metrics on this port when it is set (shared/worker_metrics.py).
    metrics_port: int | None = None
    # prometheus_client reads this variable itself, at import; it is a field so that a
    # worker can refuse METRICS_PORT without it (its pool processes could not report).
    prometheus_multiproc_dir: Path | None = None
    file_retention_hours: int = 24 * 7
    color_retention_hours: float = 24.0  # seed 000: colour uploads and results, then removed

    # Webhooks (shared/webhooks): the gateway checks endpoint URLs, the maintenance
    # worker delivers. Private, loopback and link-local addresses are refused unless
    # WEBHOOK_ALLOW_PRIVATE, at registration and again at connect time.
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = 5.0  # one attempt; a slow receiver must answer later
    # Retries wait base * 2^(attempt-1), at most max_delay, until the window (about a day)
    # from the event (or its redelivery) has passed; then the delivery is failed.
    webhook_retry_base_seconds: float = 30.0
    webhook_retry_max_delay_seconds: float = 6 * 3600.0
    webhook_retry_window_seconds: float = 24 * 3600.0
    webhook_retry_scan_seconds: float = 10.0  # how often beat looks for due retries
    webhook_progress_interval_seconds: float = 5.0  # job.progress at most this often a job

    max_upload_bytes: int = Field(default=100 * 1024 * 1024)
    # Decoded size limit for every image (decompression bombs): 50 megapixels is a
    # 8660 x 5773 photo, far beyond any receipt or page scan.
    max_image_pixels: int = 50_000_000
    # Pages of one OCR batch in flight at once: enough for every OCR worker process to
    # take one, few enough that one big batch does not starve everybody else's.
    page_batch_parallelism: int = 8
    # Images per validation task: each task is one rate-limit token (seed 004's per-level
    # task limits), large enough that a 10 000-image job is 400 tasks, not 10 000.
    validation_batch_size: int = Field(default=25, ge=1, le=1000)

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> "Settings":
        if self.environment == "production":
            for name in ("secret_key", "service_token"):
                if getattr(self, name) == DEFAULT_SECRET:
                    raise ValueError(f"{name.upper()} must be set in production")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'conveyor.db').resolve()}"

    @property
    def broker_url(self) -> str:
        return self.redis_url or f"sqla+sqlite:///{(self.data_dir / 'broker.db').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return not self.redis_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
