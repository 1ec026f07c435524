"""Delivering webhooks: one attempt of one delivery, signed the Standard Webhooks way, and
the scan that re-sends the deliveries whose retry is due.

An attempt is claimed in one short transaction, sent with no transaction open, and its
outcome written in another; see `shared.webhooks.repository` for why two copies of a
task never send one attempt twice.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from math import floor
from typing import Any

import httpx
from celery import Celery
from standardwebhooks import Webhook

from shared.address_policy import GuardedTransport
from shared.celery_app import TASK_QUEUES, TaskName
from shared.db import session_scope, utcnow
from shared.settings import Settings, get_settings
from shared.webhooks import repository as repo
from shared.webhooks.urls import address_policy

log = logging.getLogger(__name__)
USER_AGENT = "Conveyor-Webhooks/1.0"


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """What sending one claimed attempt needs, copied out of its transaction."""

    delivery_id: int
    number: int
    url: str
    secret: str
    message_id: str
    payload: dict[str, Any]
    retry_until: datetime


def deliver(delivery_id: int) -> str:
    """One attempt, if the delivery is due; the outcome word (for logs and tests)."""
    settings = get_settings()
    attempt = _claim(delivery_id, settings)
    if attempt is None:
        return "skipped"  # delivered, failed, not due yet, or another copy has it
    status_code, error = send(attempt, settings)
    now = utcnow()
    retry_at = None if error is None else next_attempt_at(
        attempt.number, now=now, retry_until=attempt.retry_until, settings=settings)
    with session_scope() as session:
        repo.record_attempt(session, delivery_id=delivery_id, attempt=attempt.number,
                            now=now, status_code=status_code, error=error,
                            next_attempt_at=retry_at)
    if error is None:
        return "delivered"
    log.info("webhook delivery %s attempt %d failed (%s); %s", delivery_id, attempt.number,
             error, f"retry at {retry_at.isoformat()}" if retry_at else "giving up")
    return "retrying" if retry_at else "failed"


def _claim(delivery_id: int, settings: Settings) -> Attempt | None:
    now = utcnow()
    # Past this a deliverer that died mid-attempt is presumed gone: the delivery is due
    # again. Longer than the attempt can take.
    lease_until = now + timedelta(seconds=2 * settings.webhook_timeout_seconds + 30)
    with session_scope() as session:
        claimed = repo.claim(session, delivery_id=delivery_id, now=now,
                             lease_until=lease_until)
        if claimed is None:
            return None
        delivery, endpoint = claimed
        return Attempt(delivery_id=delivery.id, number=delivery.attempts, url=endpoint.url,
                       secret=endpoint.secret, message_id=delivery.message_id,
                       payload=dict(delivery.payload), retry_until=delivery.retry_until)


def send(attempt: Attempt, settings: Settings) -> tuple[int | None, str | None]:
    """POST the signed payload: (status code, None) on a 2xx, else what went wrong.

    Redirects are not followed (a 3xx is a failed attempt): the URL checked is the URL
    reached. The connection goes through the address policy, after DNS."""
    body = json.dumps(attempt.payload, separators=(",", ":")).encode()
    sent_at = utcnow()
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               "webhook-id": attempt.message_id,
               "webhook-timestamp": str(floor(sent_at.timestamp())),
               "webhook-signature": Webhook(attempt.secret).sign(attempt.message_id, sent_at,
                                                                 body)}
    try:
        response = _client().post(attempt.url, content=body, headers=headers)
    except httpx.HTTPError as exc:  # AddressRefused is one: a name now resolving inward
        return None, f"{type(exc).__name__}: {exc}"[:2000]
    if response.is_success:
        return response.status_code, None
    return response.status_code, f"the receiver answered {response.status_code}"


@cache
def _client() -> httpx.Client:
    """One pooled client per process (each prefork child makes its own on first use)."""
    return httpx.Client(transport=GuardedTransport(address_policy()),
                        timeout=get_settings().webhook_timeout_seconds, follow_redirects=False)


def next_attempt_at(attempt: int, *, now: datetime, retry_until: datetime,
                    settings: Settings) -> datetime | None:
    """After failed attempt `attempt`: base * 2^(attempt-1), at most the max delay; None
    once that falls past the retry window (about a day), when the delivery fails."""
    delay = min(settings.webhook_retry_base_seconds * 2 ** (attempt - 1),
                settings.webhook_retry_max_delay_seconds)
    at = now + timedelta(seconds=delay)
    return at if at <= retry_until else None


def send_due(app: Celery, *, limit: int = 500) -> int:
    """Publish an attempt for every delivery whose retry is due (or whose first message
    was lost). Sent directly, not through the outbox: the delivery row itself is the
    durable record, and the next scan sends again whatever did not go out."""
    with session_scope() as session:
        due = repo.due_delivery_ids(session, now=utcnow(), limit=limit)
    expires = max(60.0, 6 * get_settings().webhook_retry_scan_seconds)
    for delivery_id in due:
        app.send_task(TaskName.DELIVER_WEBHOOK.value, kwargs={"delivery_id": delivery_id},
                      queue=TASK_QUEUES[TaskName.DELIVER_WEBHOOK].value, expires=expires)
    return len(due)
