"""Credit balance and ledger; admin grants."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.gateway.credits import service
from services.gateway.credits.schemas import CreditsOut
from services.gateway.deps import UserIdDep
from services.gateway.openapi import AUTHENTICATED, errors
from shared.db import MAX_ROW_ID, in_transaction_thread

router = APIRouter(prefix="/api/v1", tags=["credits"], responses=errors(*AUTHENTICATED))


class GrantIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"email": "ada@example.com", "amount": 50, "note": "conference voucher"}]})

    email: EmailStr
    amount: int = Field(gt=0, le=10_000_000)
    note: str | None = Field(default=None, max_length=500)


@router.get("/credits")
async def credits(user_id: UserIdDep,
                  limit: Annotated[int, Query(ge=1, le=200, examples=[50])] = 50,
                  offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID, examples=[0])] = 0
                  ) -> CreditsOut:
    """Your balance, what is reserved by running jobs, and the ledger (newest first)."""
    return await in_transaction_thread(service.credits_of, user_id=user_id, limit=limit,
                                       offset=offset)


@router.post("/admin/credits", responses=errors(403, 404))
async def grant_credits(body: GrantIn, user_id: UserIdDep) -> CreditsOut:
    """Grant credits to a user (administrators only)."""
    return await in_transaction_thread(service.grant, admin_id=user_id, email=body.email,
                                       amount=body.amount, note=body.note)
