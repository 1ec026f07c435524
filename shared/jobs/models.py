"""The job table every domain shares, its chunks, its event log and the task outbox."""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, utcnow


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(enum.StrEnum):
    PDF = "pdf"
    RECEIPT = "receipt"
    PAGE_OCR = "page_ocr"
    PAGE_BATCH = "page_batch"
    COLOR_TRANSFER = "color_transfer"
    CRAWL = "crawl"
    VALIDATION = "validation"


# The kinds whose work is a project's pages: their pages show how the job went.
PAGE_KINDS = frozenset({JobKind.PAGE_OCR, JobKind.PAGE_BATCH})


def _str_enum(enum_cls: type[enum.StrEnum]) -> Enum:
    return Enum(enum_cls, native_enum=False, length=16,
                values_callable=lambda e: [m.value for m in e])


def _new_uuid() -> str:
    return str(uuid.uuid4())


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_job_user_id_created_at", "user_id", "created_at"),
        Index("ix_job_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[JobKind] = mapped_column(_str_enum(JobKind))
    status: Mapped[JobStatus] = mapped_column(_str_enum(JobStatus), default=JobStatus.PENDING)
    cancel_requested: Mapped[bool] = mapped_column(default=False)

    original_filename: Mapped[str | None] = mapped_column(String(255))
    input_path: Mapped[str | None] = mapped_column(String(500))
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    input_size: Mapped[int | None]
    page_count: Mapped[int | None]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)

    progress_percent: Mapped[int] = mapped_column(default=0)
    current_step: Mapped[str | None] = mapped_column(String(255))
    total_chunks: Mapped[int] = mapped_column(default=0)
    parallelism: Mapped[int] = mapped_column(default=1)
    chunk_task: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(40))
    retryable: Mapped[bool | None]

    celery_task_id: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(default=0)

    estimated_credits: Mapped[int] = mapped_column(default=0)
    reserved_credits: Mapped[int] = mapped_column(default=0)
    charged_credits: Mapped[int | None]
    finalized_at: Mapped[datetime | None]

    # The endpoint its callback_url names (shared/webhooks): it gets every event of the job.
    webhook_endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deadline_at: Mapped[datetime | None]

    result: Mapped[dict[str, Any] | None] = mapped_column()
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)


class JobChunk(Base):
    """One unit of fan-out work; results are keyed by (job, index) so a rerun replaces."""

    __tablename__ = "job_chunk"
    __table_args__ = (
        UniqueConstraint("job_id", "index"),
        Index("ix_job_chunk_status_heartbeat", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    index: Mapped[int]
    status: Mapped[JobStatus] = mapped_column(_str_enum(JobStatus), default=JobStatus.PENDING)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    task_id: Mapped[str | None] = mapped_column(String(100))
    worker_id: Mapped[str | None] = mapped_column(String(200))  # host:pid of the claimer
    units_done: Mapped[int] = mapped_column(default=0)
    units_total: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[dict[str, Any] | None] = mapped_column()
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


class JobEvent(Base):
    """Append-only log of every state change, attempt and credit movement of a job."""

    __tablename__ = "job_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    chunk_index: Mapped[int | None]
    event_type: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A task to publish, written in the same transaction as the state it belongs to."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_unsent", "created_at",
              postgresql_where=text("sent_at IS NULL"), sqlite_where=text("sent_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str] = mapped_column(String(100), unique=True)
    kwargs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    countdown_seconds: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    publish_attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
