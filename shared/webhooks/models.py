"""Webhook endpoints a user registers (or a job's callback_url made) and the deliveries of
job events to them: one row per (endpoint, event), which carries its own retry state."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, JsonDoc, utcnow
from shared.jobs.models import _str_enum


class WebhookEvent(enum.StrEnum):
    JOB_STARTED = "job.started"
    JOB_PROGRESS = "job.progress"
    JOB_COMPLETED = "job.completed"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or being attempted)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # no 2xx within the retry window


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JsonDoc, default=list)  # WebhookEvent values
    # Standard Webhooks' `whsec_<base64 key>`; shown once, when the endpoint is made.
    secret: Mapped[str] = mapped_column(String(100))
    # Made for a job's callback_url: receives every event of the jobs that name it, and
    # no other job's.
    is_callback: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The retry scan reads only deliveries still waiting.
        Index("ix_webhook_delivery_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
        Index("ix_webhook_delivery_endpoint_id_id", "endpoint_id", "id"),
        Index("ix_webhook_delivery_job_id_event_type", "job_id", "event_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The `webhook-id` header: the same for every attempt and redelivery, so a receiver
    # can drop what it already processed.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    event_type: Mapped[WebhookEvent] = mapped_column(_str_enum(WebhookEvent))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(_str_enum(DeliveryStatus),
                                                   default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retries stop here: about a day after the event, or after a redelivery.
    retry_until: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
