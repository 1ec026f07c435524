"""Images a crawl job kept (seed 004), one row per distinct file within the job.

The SHA-256 of the bytes is unique per job, so the same image found by two keywords,
engines or pages is stored once. Validation (fast, medium, slow) writes its verdict and
reasons onto the row.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, JsonDoc, utcnow


class CrawlImage(Base):
    __tablename__ = "crawl_image"
    __table_args__ = (UniqueConstraint("job_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    chunk_index: Mapped[int]
    keyword: Mapped[str] = mapped_column(String(200))
    engine: Mapped[str] = mapped_column(String(40))
    source_url: Mapped[str] = mapped_column(String(2048))  # where the bytes came from
    page_url: Mapped[str | None] = mapped_column(String(2048))  # the page that showed it
    alt_text: Mapped[str | None] = mapped_column(String(1000))
    relevance: Mapped[float] = mapped_column(default=0.0)  # keyword score at discovery
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))  # relative to DATA_DIR, generated name
    size_bytes: Mapped[int]
    declared_type: Mapped[str | None] = mapped_column(String(100))  # Content-Type header
    detected_format: Mapped[str] = mapped_column(String(16))  # from the magic bytes
    width: Mapped[int | None]  # from the header; None when it cannot be read
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    validation_level: Mapped[str | None] = mapped_column(String(16))
    verdict: Mapped[str | None] = mapped_column(String(16))  # valid | invalid
    reasons: Mapped[list[Any] | None] = mapped_column(JsonDoc)
    perceptual_hash: Mapped[str | None] = mapped_column(String(16))
    validated_at: Mapped[datetime | None]
