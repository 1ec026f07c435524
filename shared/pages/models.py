"""Projects of scanned pages and their OCR results (seed 003).

The gateway creates projects and pages; the OCR worker writes each page's result. A page
remembers the job that last touched it, so an older job finishing late cannot overwrite
what a newer one wrote. A page's result (text, words, hOCR) is only ever replaced by a
later successful read: its status says how the last task that touched it went.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, JsonDoc, utcnow


class PageStatus(enum.StrEnum):
    PENDING = "pending"  # uploaded, never processed
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Page(Base):
    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("project_id", "page_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    page_number: Mapped[int]
    original_filename: Mapped[str | None] = mapped_column(String(255))
    source_path: Mapped[str] = mapped_column(String(500))  # stored image or PDF
    pdf_page_index: Mapped[int | None]  # which page of the stored PDF; None for an image
    width: Mapped[int | None]
    height: Mapped[int | None]
    # Written with the job that touches the page: queued when the job service creates it,
    # processing and the outcome by its worker, and the pages it never got to in the
    # transaction that ends it (`repository.end_job`).
    ocr_status: Mapped[str] = mapped_column(String(16), default=PageStatus.PENDING.value)
    ocr_text: Mapped[str | None] = mapped_column(Text)
    ocr_confidence: Mapped[float | None]
    word_count: Mapped[int | None]
    ocr_words: Mapped[list[Any] | None] = mapped_column(JsonDoc)  # [{text, confidence, bbox}]
    # The word boxes' coordinate space: the page as OCR'd (cropped, scaled, straightened).
    ocr_width: Mapped[int | None]
    ocr_height: Mapped[int | None]
    # Clockwise turn that brought the page upright before it was read (0, 90, 180, 270).
    ocr_turned_degrees: Mapped[int | None]
    ocr_hocr: Mapped[str | None] = mapped_column(Text)
    ocr_error: Mapped[str | None] = mapped_column(Text)
    ocr_error_type: Mapped[str | None] = mapped_column(String(40))
    last_job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    last_task_id: Mapped[str | None] = mapped_column(String(36))  # that job's public uuid
    ocr_finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @hybrid_property
    def has_result(self) -> bool:
        """A read is kept until a later read replaces it: a later task that is cancelled
        or fails leaves it (and its downloads) in place. Also an SQL expression."""
        return self.ocr_text is not None

    @has_result.inplace.expression
    @classmethod
    def _has_result_expression(cls) -> ColumnElement[bool]:
        return cls.ocr_text.is_not(None)
