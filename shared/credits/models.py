"""Credit accounts and their append-only ledger.

Invariant: for every account, `available` + `reserved` changes only together with a
ledger row written in the same transaction, and each (job, entry_type) pair appears at
most once, which is what makes reserve/release/charge exactly-once under redelivery.
"""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, utcnow


class LedgerEntryType(enum.StrEnum):
    SIGNUP = "signup"
    GRANT = "grant"
    RESERVE = "reserve"
    RELEASE = "release"
    CHARGE = "charge"


class CreditAccount(Base):
    __tablename__ = "credit_account"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    available: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CreditLedgerEntry(Base):
    __tablename__ = "credit_ledger_entry"
    __table_args__ = (
        Index("uq_credit_ledger_entry_job_type", "job_id", "entry_type", unique=True,
              postgresql_where=text("job_id IS NOT NULL"),
              sqlite_where=text("job_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))
    entry_type: Mapped[LedgerEntryType] = mapped_column(
        Enum(LedgerEntryType, native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]))
    amount: Mapped[int]
    available_after: Mapped[int]
    reserved_after: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
