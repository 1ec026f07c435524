from sqlalchemy.orm import Session

from services.gateway.auth.service import signed_in_admin
from services.gateway.credits.schemas import CreditsOut, LedgerEntryOut
from shared.auth import repository as users
from shared.credits import ledger
from shared.errors import ConveyorError, ErrorCode


def credits_of(session: Session, *, user_id: int, limit: int = 50, offset: int = 0
               ) -> CreditsOut:
    balance = ledger.get_balance(session, user_id)
    entries = ledger.list_entries(session, user_id=user_id, limit=limit, offset=offset)
    return CreditsOut(user_id=user_id, balance=balance.available, reserved=balance.reserved,
                      ledger=[LedgerEntryOut.model_validate(e, from_attributes=True)
                              for e in entries], limit=limit, offset=offset)


def grant(session: Session, *, admin_id: int, email: str, amount: int, note: str | None
          ) -> CreditsOut:
    """`amount` credits for the user of `email`, if `admin_id` is an administrator's."""
    admin = signed_in_admin(session, admin_id)
    user = users.get_by_email(session, email)
    if user is None:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"no user with email {email}")
    ledger.grant(session, user_id=user.id, amount=amount,
                 note=note or f"granted by {admin.email}")
    return credits_of(session, user_id=user.id, limit=10)
