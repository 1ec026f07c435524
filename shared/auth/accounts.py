"""Creating users: the account row and its signup credits in one transaction."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import repository
from shared.auth.models import User
from shared.auth.passwords import hash_password
from shared.credits import ledger
from shared.errors import ConveyorError, ErrorCode


def create_user(session: Session, *, email: str, password: str, signup_credits: int,
                is_admin: bool = False) -> User:
    if repository.get_by_email(session, email) is not None:
        raise ConveyorError(ErrorCode.CONFLICT, "an account with this email already exists")
    try:
        user = repository.add_user(session, email=email, password_hash=hash_password(password),
                                   is_admin=is_admin)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ConveyorError(ErrorCode.CONFLICT, "an account with this email already exists"
                            ) from exc
    ledger.open_account(session, user_id=user.id, initial_credits=signup_credits)
    return user
