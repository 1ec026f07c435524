"""Webhook endpoints (signed job events pushed to your URL) and their delivery log."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.gateway.deps import UserIdDep
from services.gateway.openapi import AUTHENTICATED, errors
from services.gateway.webhooks import service
from services.gateway.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookCreated,
    WebhookIn,
    WebhookList,
)
from shared.db import MAX_ROW_ID, in_transaction_thread

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"],
                   responses=errors(*AUTHENTICATED))
WebhookId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the endpoint's id",
                                examples=[7])]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the delivery's id",
                                 examples=[31])]


# Each unit of work runs whole on a worker thread (registering also resolves the URL's
# host there, blocking DNS); the answer is validated on the event loop.
@router.post("", status_code=201, responses=errors(400))
async def register_webhook(body: WebhookIn, user_id: UserIdDep) -> WebhookCreated:
    """Register an endpoint for job events; the answer shows its signing secret, once.
    400 for a URL to a private address (unless the operator allows them)."""
    return await in_transaction_thread(service.register, user_id=user_id, url=str(body.url),
                                       events=body.events)


@router.get("")
async def list_webhooks(user_id: UserIdDep) -> WebhookList:
    """Your endpoints, registered ones and those made for jobs' callback_url."""
    return await in_transaction_thread(service.list_endpoints, user_id=user_id)


@router.delete("/{webhook_id}", status_code=204, response_class=Response,
               responses=errors(404))
async def delete_webhook(webhook_id: WebhookId, user_id: UserIdDep) -> None:
    """Remove an endpoint and its delivery log; nothing more is sent to it."""
    await in_transaction_thread(service.delete, user_id=user_id, endpoint_id=webhook_id)


@router.get("/{webhook_id}/deliveries", responses=errors(404))
async def list_deliveries(webhook_id: WebhookId, user_id: UserIdDep,
                          limit: Annotated[int, Query(ge=1, le=200, examples=[50])] = 50,
                          offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID, examples=[0])] = 0
                          ) -> DeliveryList:
    """The endpoint's deliveries, newest first: event, status, attempts, the last
    answer or error, and when it is tried next."""
    return await in_transaction_thread(service.deliveries, user_id=user_id,
                                       endpoint_id=webhook_id, limit=limit, offset=offset)


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             responses=errors(404))
async def redeliver(webhook_id: WebhookId, delivery_id: DeliveryId, user_id: UserIdDep
                    ) -> DeliveryOut:
    """Send a delivery again now (same webhook-id), with a fresh day of retries."""
    return await in_transaction_thread(service.redeliver, user_id=user_id,
                                       endpoint_id=webhook_id, delivery_id=delivery_id)
