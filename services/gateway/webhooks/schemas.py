"""Webhook endpoints and their delivery log, as the API shows them."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Form
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

from shared.webhooks.models import DeliveryStatus, WebhookEvent

WebhookUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]

# A job's callback_url, as every job-creating route takes it (a JSON field or a form
# field), and the callback_secret its answer carries.
CALLBACK_URL_EXAMPLE = "https://example.com/hooks/conveyor"
CALLBACK_SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
_CALLBACK_URL_WORDS = ("a URL to receive this job's events as signed webhooks (see "
                       "/api/v1/webhooks); a private address is refused with 400 unless the "
                       "operator allows them")
CallbackUrlField = Annotated[WebhookUrl | None, Field(
    description=_CALLBACK_URL_WORDS, examples=[CALLBACK_URL_EXAMPLE])]
CallbackUrlForm = Annotated[str | None, Form(
    max_length=2000, examples=[CALLBACK_URL_EXAMPLE], description=_CALLBACK_URL_WORDS)]
CallbackSecretField = Annotated[str | None, Field(
    description="with a callback_url that no registered endpoint of yours has: the signing "
    "secret of its callback endpoint; without one, null or left out",
    examples=[CALLBACK_SECRET_EXAMPLE])]
_ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": 7, "url": "https://example.com/hooks/conveyor",
    "events": ["job.started", "job.completed", "job.failed"], "is_callback": False,
    "created_at": "2025-10-04T10:00:00Z"}
_DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": 31, "message_id": "msg_5f0c1e9a5b7d4c2e9a510d6f2b8e7c14", "event_type": "job.completed",
    "job_id": 42, "status": "delivered", "attempts": 2, "last_status_code": 200,
    "last_error": None, "last_attempt_at": "2025-10-04T10:02:09Z", "next_attempt_at": None,
    "delivered_at": "2025-10-04T10:02:09Z", "created_at": "2025-10-04T10:02:05Z",
    "payload": {"type": "job.completed", "timestamp": "2025-10-04T10:02:05+00:00",
                "data": {"job_id": 42, "kind": "pdf", "status": "completed"}}}


class WebhookIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://example.com/hooks/conveyor",
         "events": ["job.started", "job.completed", "job.failed"]}]})

    url: WebhookUrl = Field(description="http(s); a public address unless the operator "
                            "allows private ones")
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(WebhookEvent),
                                       description="which of the job events to receive")


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True,
                              json_schema_extra={"examples": [_ENDPOINT_EXAMPLE]})

    id: int
    url: str
    events: list[WebhookEvent]
    is_callback: bool = Field(description="made for a job's callback_url: it receives every "
                              "event of the jobs that name it")
    created_at: datetime


class WebhookCreated(WebhookOut):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {**_ENDPOINT_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]})

    secret: str = Field(description="the signing secret (Standard Webhooks), shown only now")


class WebhookList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"webhooks": [_ENDPOINT_EXAMPLE]}]})

    webhooks: list[WebhookOut]


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True,
                              json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    id: int
    message_id: str = Field(description="the webhook-id header, the same on every attempt")
    event_type: WebhookEvent
    job_id: int | None
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(description="while pending: when it is tried "
                                             "next")
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


class DeliveryList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"deliveries": [_DELIVERY_EXAMPLE], "total": 1, "limit": 50, "offset": 0}]})

    deliveries: list[DeliveryOut]
    total: int
    limit: int
    offset: int
