from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "user_id": 1, "balance": 88, "reserved": 12, "limit": 50, "offset": 0,
        "ledger": [
            {"id": 7, "job_id": 42, "entry_type": "reserve", "amount": 12, "available_after": 88,
             "reserved_after": 12, "note": None, "created_at": "2026-12-04T09:31:00Z"},
            {"id": 1, "job_id": None, "entry_type": "signup", "amount": 100,
             "available_after": 100, "reserved_after": 0, "note": "signup credits",
             "created_at": "2026-12-04T09:30:00Z"}]}]})

    user_id: int
    balance: int
    reserved: int
    ledger: list[LedgerEntryOut]
    limit: int
    offset: int
