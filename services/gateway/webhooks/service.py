"""Registering webhook endpoints, their delivery log, redelivery, and the endpoint a job's
callback_url is delivered through. Deliveries themselves are the maintenance worker's
(services/jobs/maintenance/webhooks.py)."""

import base64
import secrets
from datetime import timedelta

from pydantic import AnyUrl
from sqlalchemy.orm import Session

from services.gateway.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookCreated,
    WebhookList,
    WebhookOut,
)
from shared.db import in_transaction_thread, utcnow
from shared.errors import ConveyorError, ErrorCode
from shared.settings import get_settings
from shared.webhooks import repository as repo
from shared.webhooks.events import enqueue_delivery
from shared.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from shared.webhooks.urls import check_url

_SECRET_BYTES = 24  # Standard Webhooks asks for 24 to 64


def new_secret() -> str:
    """Standard Webhooks' secret format: `whsec_` and the base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def register(session: Session, *, user_id: int, url: str, events: list[WebhookEvent]
             ) -> WebhookCreated:
    check_url(url)
    endpoint = repo.add_endpoint(session, user_id=user_id, url=url,
                                 events=list(dict.fromkeys(e.value for e in events)),
                                 secret=new_secret())
    return WebhookCreated(**WebhookOut.model_validate(endpoint).model_dump(),
                          secret=endpoint.secret)


def list_endpoints(session: Session, *, user_id: int) -> WebhookList:
    return WebhookList(webhooks=[WebhookOut.model_validate(e)
                                 for e in repo.endpoints_of(session, user_id)])


def owned_endpoint(session: Session, *, user_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = repo.endpoint_of(session, user_id=user_id, endpoint_id=endpoint_id)
    if endpoint is None:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Webhook not found")
    return endpoint


def delete(session: Session, *, user_id: int, endpoint_id: int) -> None:
    repo.delete_endpoint(session, owned_endpoint(session, user_id=user_id,
                                                 endpoint_id=endpoint_id))


def deliveries(session: Session, *, user_id: int, endpoint_id: int, limit: int, offset: int
               ) -> DeliveryList:
    owned_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    rows, total = repo.deliveries_of(session, endpoint_id=endpoint_id, limit=limit,
                                     offset=offset)
    return DeliveryList(deliveries=[delivery_out(d) for d in rows], total=total, limit=limit,
                        offset=offset)


def redeliver(session: Session, *, user_id: int, endpoint_id: int, delivery_id: int
              ) -> DeliveryOut:
    """Send a delivery again now, whatever its state, with a fresh retry window."""
    owned_endpoint(session, user_id=user_id, endpoint_id=endpoint_id)
    delivery = repo.delivery_of(session, endpoint_id=endpoint_id, delivery_id=delivery_id)
    if delivery is None:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Delivery not found")
    now = utcnow()
    window = timedelta(seconds=get_settings().webhook_retry_window_seconds)
    repo.reopen(session, delivery=delivery, now=now, retry_until=now + window)
    enqueue_delivery(session, delivery.id)
    return delivery_out(delivery)


def callback_endpoint(session: Session, *, user_id: int, url: str) -> tuple[int, str | None]:
    """The endpoint a job's callback_url is delivered through, and the secret to show:
    the user's registered endpoint at that URL signs with the secret the user was shown
    (None: not shown again); a callback endpoint, made now or by an earlier job, shows
    its secret with every job that names it, so a request that failed after making it
    (short of credits, a bad file, a lost answer) never leaves a secret nobody saw."""
    check_url(url)
    endpoint = repo.endpoint_by_url(session, user_id=user_id, url=url)
    if endpoint is not None:
        return endpoint.id, endpoint.secret if endpoint.is_callback else None
    endpoint = repo.add_endpoint(session, user_id=user_id, url=url,
                                 events=[e.value for e in WebhookEvent], secret=new_secret(),
                                 is_callback=True)
    return endpoint.id, endpoint.secret


async def callback_for(user_id: int, url: str | AnyUrl | None
                       ) -> tuple[int | None, str | None]:
    """`callback_endpoint` for a job being created: the id to give `CreateJob` as
    `webhook_endpoint_id` and the `callback_secret` to answer with (None, None without a
    callback_url). Every job-creating route calls it before anything else, so a refused
    URL (400) reserves nothing. `url`: a form field's text or a JSON body's parsed URL."""
    if url is None:
        return None, None
    return await in_transaction_thread(callback_endpoint, user_id=user_id, url=str(url))


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    out = DeliveryOut.model_validate(delivery)
    if delivery.status != DeliveryStatus.PENDING:
        out.next_attempt_at = None  # a settled delivery is not tried again
    return out
