"""Webhook endpoints (signed job events pushed to your URL) and their delivery log."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.gateway.deps import SessionDep, UserIdDep
from services.gateway.openapi import AUTHENTICATED, errors
from services.gateway.webhooks import service
from services.gateway.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookList,
)
from shared.db import MAX_ROW_ID

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"],
                   responses=errors(*AUTHENTICATED))
WebhookId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the endpoint's id",
                                examples=[7])]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the delivery's id",
                                 examples=[31])]


# Sync routes: registering resolves the URL's host (blocking DNS) on a worker thread.
@router.post("", status_code=201, responses=errors(400))
def register_webhook(body: WebhookIn, user_id: UserIdDep, session: SessionDep
                     ) -> WebhookCreated:
    """Register an endpoint for job events; the answer shows its signing secret, once.
    400 for a URL to a private address (unless the operator allows them)."""
    return service.register(session, user_id=user_id, url=str(body.url), events=body.events)


@router.get("")
def list_webhooks(user_id: UserIdDep, session: SessionDep) -> WebhookList:
    """Your endpoints, registered ones and those made for jobs' callback_url."""
    return service.list_endpoints(session, user_id=user_id)


@router.delete("/{webhook_id}", status_code=204, response_class=Response,
               responses=errors(404))
def delete_webhook(webhook_id: WebhookId, user_id: UserIdDep, session: SessionDep) -> None:
    """Remove an endpoint and its delivery log; nothing more is sent to it."""
    service.delete(session, user_id=user_id, endpoint_id=webhook_id)


@router.get("/{webhook_id}/deliveries", responses=errors(404))
def list_deliveries(webhook_id: WebhookId, user_id: UserIdDep, session: SessionDep,
                    limit: Annotated[int, Query(ge=1, le=200, examples=[50])] = 50,
                    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID, examples=[0])] = 0
                    ) -> DeliveryList:
    """The endpoint's deliveries, newest first: event, status, attempts, the last
    answer or error, and when it is tried next."""
    return service.deliveries(session, user_id=user_id, endpoint_id=webhook_id, limit=limit,
                              offset=offset)


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             responses=errors(404))
def redeliver(webhook_id: WebhookId, delivery_id: DeliveryId, user_id: UserIdDep,
              session: SessionDep) -> DeliveryOut:
    """Send a delivery again now (same webhook-id), with a fresh day of retries."""
    return service.redeliver(session, user_id=user_id, endpoint_id=webhook_id,
                             delivery_id=delivery_id)
