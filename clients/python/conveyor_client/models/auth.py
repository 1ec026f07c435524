"""Accounts, tokens and credits."""

from datetime import datetime

from conveyor_client.models._base import ApiModel


class Token(ApiModel):
    openapi_schema = "TokenOut"

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class CreditBalance(ApiModel):
    openapi_schema = "CreditBalance"

    available: int
    reserved: int


class User(ApiModel):
    openapi_schema = "UserOut"

    id: int
    email: str
    is_admin: bool
    created_at: datetime
    credits: CreditBalance


class LedgerEntry(ApiModel):
    openapi_schema = "LedgerEntryOut"

    id: int
    job_id: int | None
    entry_type: str
    amount: int
    available_after: int
    reserved_after: int
    note: str | None
    created_at: datetime


class Credits(ApiModel):
    """The balance, what is reserved for running jobs, and the ledger, newest first."""

    openapi_schema = "CreditsOut"

    user_id: int
    balance: int
    reserved: int
    ledger: list[LedgerEntry]
    limit: int
    offset: int
