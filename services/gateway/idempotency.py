"""The Idempotency-Key every job-creating route honours, and what makes two requests the
same request: the job service answers a repeated key with the job it made the first time
when the fingerprint matches, and refuses it (409 IDEMPOTENCY_CONFLICT) when it does not.
"""

import hashlib
import json
from typing import Annotated, Any

from fastapi import Header

from shared.jobs.models import JobKind

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=255, examples=["9a1f6c2e-7b3d-4e5f-8a9b-0c1d2e3f4a5b"],
    description="the same key with the same request again answers with the job created the "
                "first time instead of making a second one; with another request, 409 "
                "IDEMPOTENCY_CONFLICT. Keys are per user.")]


def request_fingerprint(kind: JobKind, **request: Any) -> str:
    """A hash of the kind and `request`: the inputs, the parameters and the callback's
    endpoint id; the same key with another callback_url is a conflict, not a replay of a
    job that delivers elsewhere."""
    canonical = json.dumps({"kind": kind.value, **request}, sort_keys=True, default=str,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
