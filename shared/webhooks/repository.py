"""All SQL on webhook endpoints and deliveries.

A delivery is attempted by whoever claims it: the claim is a guarded UPDATE that only
takes a `pending` row whose next attempt is due and pushes that time past the attempt's
timeout (a lease). Two copies of its task, or a task and the retry scan, thus never send
one attempt twice; a deliverer that dies mid-attempt leaves a row that is due again once
the lease ran out.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from shared.db import table_of
from shared.jobs.models import Job
from shared.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

D = DeliveryStatus


def add_endpoint(session: Session, *, user_id: int, url: str, events: list[str], secret: str,
                 is_callback: bool = False) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(user_id=user_id, url=url, events=events, secret=secret,
                               is_callback=is_callback)
    session.add(endpoint)
    session.flush()
    return endpoint


def endpoints_of(session: Session, user_id: int) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)
                                .order_by(WebhookEndpoint.id)))


def endpoint_of(session: Session, *, user_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    """The user's endpoint; None for another user's too."""
    return session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.user_id == user_id)).one_or_none()


def endpoint_by_url(session: Session, *, user_id: int, url: str) -> WebhookEndpoint | None:
    """The user's endpoint at `url`, a registered one before a callback one."""
    return session.scalars(select(WebhookEndpoint)
                           .where(WebhookEndpoint.user_id == user_id, WebhookEndpoint.url == url)
                           .order_by(WebhookEndpoint.is_callback, WebhookEndpoint.id)).first()


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    """Its deliveries go with it (ON DELETE CASCADE); jobs naming it keep running."""
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))


def endpoint_ids_for(session: Session, *, job_id: int, event_type: str) -> list[int]:
    """The endpoints an event of a job goes to: its user's registered ones that asked for
    it, and the job's callback endpoint, which gets every event of its job. One query,
    which finds nothing for the many users without endpoints."""
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events, WebhookEndpoint.is_callback,
               Job.webhook_endpoint_id)
        .join(Job, Job.user_id == WebhookEndpoint.user_id).where(Job.id == job_id)).all()
    return [endpoint_id for endpoint_id, events, is_callback, callback_id in rows
            if endpoint_id == callback_id or (not is_callback and event_type in events)]


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """One INSERT for an event's deliveries; their ids, in order."""
    table = table_of(WebhookDelivery)
    return list(session.scalars(insert(table).returning(table.c.id,
                                                        sort_by_parameter_order=True), rows))


def last_event_at(session: Session, *, job_id: int, event_type: str) -> datetime | None:
    return session.scalar(select(func.max(WebhookDelivery.created_at)).where(
        WebhookDelivery.job_id == job_id, WebhookDelivery.event_type == event_type))


def deliveries_of(session: Session, *, endpoint_id: int, limit: int, offset: int
                  ) -> tuple[list[WebhookDelivery], int]:
    """An endpoint's deliveries, newest first, and how many there are."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)
                           .offset(offset))
    return list(rows), total


def delivery_of(session: Session, *, endpoint_id: int, delivery_id: int
                ) -> WebhookDelivery | None:
    return session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
    ).one_or_none()


def claim(session: Session, *, delivery_id: int, now: datetime, lease_until: datetime
          ) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
    """Take a due delivery for one attempt (counted now); None if it is not due or not
    pending, or if its endpoint is gone."""
    delivery = session.scalars(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == D.PENDING,
               WebhookDelivery.next_attempt_at <= now)
        .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=lease_until,
                last_attempt_at=now)
        .returning(WebhookDelivery),
        execution_options={"synchronize_session": False, "populate_existing": True}).first()
    if delivery is None:
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    return (delivery, endpoint) if endpoint is not None else None


def record_attempt(session: Session, *, delivery_id: int, attempt: int, now: datetime,
                   status_code: int | None, error: str | None,
                   next_attempt_at: datetime | None) -> bool:
    """Write how attempt `attempt` went: delivered (no error), retried at
    `next_attempt_at`, or failed for good (neither). Only the attempt's own claimer may
    write (a later claim after its lease ran out has moved the count on)."""
    if error is None:
        values: dict[str, Any] = {"status": D.DELIVERED, "delivered_at": now,
                                  "last_error": None}
    elif next_attempt_at is not None:
        values = {"next_attempt_at": next_attempt_at, "last_error": error[:2000]}
    else:
        values = {"status": D.FAILED, "last_error": error[:2000]}
    result = session.execute(update(WebhookDelivery)
                             .where(WebhookDelivery.id == delivery_id,
                                    WebhookDelivery.status == D.PENDING,
                                    WebhookDelivery.attempts == attempt)
                             .values(last_status_code=status_code, **values)
                             .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def reopen(session: Session, *, delivery: WebhookDelivery, now: datetime,
           retry_until: datetime) -> None:
    """Send a delivery again from now, with a new retry window; it keeps its message id,
    so the receiver can tell it is the same event."""
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id)
                    .values(status=D.PENDING, next_attempt_at=now, retry_until=retry_until,
                            delivered_at=None)
                    .execution_options(synchronize_session=False))
    session.refresh(delivery)


def due_delivery_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Pending deliveries whose next attempt is due (or whose claimer's lease ran out)."""
    return list(session.scalars(select(WebhookDelivery.id)
                                .where(WebhookDelivery.status == D.PENDING,
                                       WebhookDelivery.next_attempt_at <= now)
                                .order_by(WebhookDelivery.next_attempt_at).limit(limit)))
