"""Validation of a crawl job's images (seed 004); the crawl jobs themselves use the
generic job routes (services.gateway.jobs.router)."""

from typing import Annotated

from fastapi import APIRouter, Body, Request

from services.gateway.crawl.schemas import (
    VALIDATION_REQUEST_EXAMPLES,
    ValidationIn,
    ValidationStarted,
)
from services.gateway.crawl.service import start_validation
from services.gateway.deps import JobId, JobsDep, UserIdDep
from services.gateway.idempotency import IdempotencyKey
from services.gateway.openapi import AUTHENTICATED, errors
from services.gateway.ratelimit import limited
from services.gateway.webhooks.service import callback_for

router = APIRouter(prefix="/api/v1/validation", tags=["crawl"],
                   responses=errors(*AUTHENTICATED))


# 400: a callback_url the address policy refuses; 404: not the caller's job, or it has
# no images; 409: a run on it is unfinished, or the Idempotency-Key was used with
# another request.
@router.post("/job/{job_id}/", response_model_exclude_none=True,
             responses=errors(400, 404, 409, 413, 429))
@limited("rate_limit_validation")
async def validate_job_images(
        request: Request, job_id: JobId,
        body: Annotated[ValidationIn, Body(openapi_examples=VALIDATION_REQUEST_EXAMPLES)],
        user_id: UserIdDep, jobs: JobsDep,
        idempotency_key: IdempotencyKey = None) -> ValidationStarted:
    """Validate every image of a crawl job at `level` fast, medium (default) or slow; each
    image gets a verdict and reasons, listed by GET /api/v1/jobs/{job_id}/images. 404 when
    the job has no images, 409 while an earlier run on it is unfinished. `callback_url`:
    the validation job's events are sent there, signed (see /api/v1/webhooks). The same
    `Idempotency-Key` again answers with the same run, even while it is unfinished (409
    IDEMPOTENCY_CONFLICT with another body)."""
    endpoint_id, secret = await callback_for(user_id, body.callback_url)
    return await start_validation(jobs, user_id=user_id, job_id=job_id, level=body.level,
                                  idempotency_key=idempotency_key,
                                  webhook_endpoint_id=endpoint_id, callback_secret=secret)
