from datetime import datetime

from pydantic import BaseModel


class LedgerEntryOut(BaseModel):
    id: int
    job_id: int | None
    entry_type: str
    amount: int
    available_after: int
    reserved_after: int
    note: str | None
    created_at: datetime


class CreditsOut(BaseModel):
    user_id: int
    balance: int
    reserved: int
    ledger: list[LedgerEntryOut]
    limit: int
    offset: int
