"""Credit movements. Every function flushes; the caller's scope commits.

Exactly-once: a job's reserve, release and charge each appear once (unique index on
(job_id, entry_type)). Reservation is one conditional UPDATE, so concurrent requests can
never overdraw; release and charge lock the account row and check the ledger first, so a
replayed refund or settle changes nothing.
"""

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from shared.credits.models import CreditAccount, CreditLedgerEntry, LedgerEntryType
from shared.db import table_of, utcnow
from shared.errors import ConveyorError, ErrorCode

E = LedgerEntryType


@dataclass(frozen=True, kw_only=True)
class Balance:
    available: int
    reserved: int


def open_account(session: Session, *, user_id: int, initial_credits: int) -> None:
    session.add(CreditAccount(user_id=user_id, available=initial_credits, reserved=0))
    session.add(CreditLedgerEntry(user_id=user_id, entry_type=E.SIGNUP, amount=initial_credits,
                                  available_after=initial_credits, reserved_after=0))
    session.flush()


def get_balance(session: Session, user_id: int) -> Balance:
    account = session.get(CreditAccount, user_id)
    if account is None:
        return Balance(available=0, reserved=0)
    return Balance(available=account.available, reserved=account.reserved)


def grant(session: Session, *, user_id: int, amount: int, note: str | None = None) -> Balance:
    if amount <= 0:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "amount must be a positive whole number")
    row = session.execute(
        update(CreditAccount).where(CreditAccount.user_id == user_id)
        .values(available=CreditAccount.available + amount)
        .returning(CreditAccount.available, CreditAccount.reserved)).one_or_none()
    if row is None:
        raise ConveyorError(ErrorCode.NOT_FOUND, "credit account not found")
    return _record(session, user_id=user_id, job_id=None, entry_type=E.GRANT, amount=amount,
                   balance=Balance(available=row[0], reserved=row[1]), note=note)


def reserve(session: Session, *, user_id: int, job_id: int, amount: int) -> Balance:
    """Move `amount` from available to reserved, or raise INSUFFICIENT_CREDITS."""
    accounts = table_of(CreditAccount)
    account = accounts.c
    row = session.execute(
        update(accounts)
        .where(account.user_id == user_id, account.available >= amount)
        .values(available=account.available - amount, reserved=account.reserved + amount)
        .returning(account.available, account.reserved)).one_or_none()
    if row is None:
        raise shortfall(session, user_id=user_id, amount=amount)
    return _record(session, user_id=user_id, job_id=job_id, entry_type=E.RESERVE,
                   amount=amount, balance=Balance(available=row[0], reserved=row[1]))


def shortfall(session: Session, *, user_id: int, amount: int) -> ConveyorError:
    """The 402 for a reservation of `amount` that the balance does not cover."""
    have = get_balance(session, user_id).available
    return ConveyorError(ErrorCode.INSUFFICIENT_CREDITS,
                         f"this job needs {amount} credits; {have} available",
                         required_credits=amount, available_credits=have)


def release(session: Session, *, user_id: int, job_id: int, amount: int) -> bool:
    """Return a job's unused reservation to available. False if already done."""
    return _settle(session, user_id=user_id, job_id=job_id, charge=0, release=amount)


def charge(session: Session, *, user_id: int, job_id: int, reserved: int, used: int) -> bool:
    """Charge `used` (capped at `reserved`) and release the rest. False if already done."""
    used = max(0, min(used, reserved))
    return _settle(session, user_id=user_id, job_id=job_id, charge=used, release=reserved - used)


def _settle(session: Session, *, user_id: int, job_id: int, charge: int, release: int) -> bool:
    account = session.execute(
        select(CreditAccount).where(CreditAccount.user_id == user_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if _already_settled(session, job_id):
        return False
    account.reserved -= charge + release
    account.available += release
    balance = Balance(available=account.available, reserved=account.reserved)
    if charge:
        _record(session, user_id=user_id, job_id=job_id, entry_type=E.CHARGE, amount=charge,
                balance=balance)
    _record(session, user_id=user_id, job_id=job_id, entry_type=E.RELEASE, amount=release,
            balance=balance)
    return True


def _already_settled(session: Session, job_id: int) -> bool:
    found = session.execute(
        select(CreditLedgerEntry.id).where(
            CreditLedgerEntry.job_id == job_id,
            CreditLedgerEntry.entry_type.in_([E.RELEASE, E.CHARGE])).limit(1)).first()
    return found is not None


def _record(session: Session, *, user_id: int, job_id: int | None, entry_type: LedgerEntryType,
            amount: int, balance: Balance, note: str | None = None) -> Balance:
    # A plain INSERT: the ledger is append-only, nothing needs the ORM object back.
    session.execute(insert(table_of(CreditLedgerEntry)).values(
        user_id=user_id, job_id=job_id, entry_type=entry_type.value, amount=amount,
        available_after=balance.available, reserved_after=balance.reserved, note=note,
        created_at=utcnow()))
    return balance


def list_entries(session: Session, *, user_id: int, limit: int, offset: int
                 ) -> list[CreditLedgerEntry]:
    return list(session.scalars(
        select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user_id)
        .order_by(CreditLedgerEntry.id.desc()).limit(limit).offset(offset)))
