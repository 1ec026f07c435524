from sqlalchemy.orm import Session

from services.gateway.auth.schemas import CreditBalance, TokenOut, UserOut
from services.gateway.settings import GatewaySettings
from shared.auth import repository
from shared.auth.accounts import create_user
from shared.auth.models import User
from shared.auth.passwords import dummy_hash, verify_password
from shared.auth.tokens import issue_access_token
from shared.credits import ledger
from shared.errors import ConveyorError, ErrorCode


def register(session: Session, settings: GatewaySettings, *, email: str, password: str
             ) -> UserOut:
    user = create_user(session, email=email, password=password,
                       signup_credits=settings.signup_credits)
    return user_out(session, user)


def me(session: Session, user_id: int) -> UserOut:
    return user_out(session, signed_in_user(session, user_id))


def signed_in_user(session: Session, user_id: int) -> User:
    """The account a valid token names; 401 once it no longer exists."""
    user = session.get(User, user_id)
    if user is None:
        raise ConveyorError(ErrorCode.UNAUTHORIZED, "the account no longer exists")
    return user


def signed_in_admin(session: Session, user_id: int) -> User:
    user = signed_in_user(session, user_id)
    if not user.is_admin:
        raise ConveyorError(ErrorCode.FORBIDDEN, "administrators only")
    return user


def login(session: Session, settings: GatewaySettings, *, email: str, password: str
          ) -> TokenOut:
    user = repository.get_by_email(session, email)
    # Unknown emails still pay for one verification, so timing does not tell which exist.
    stored_hash = user.password_hash if user else dummy_hash()
    if not verify_password(password, stored_hash) or user is None:
        raise ConveyorError(ErrorCode.UNAUTHORIZED, "Incorrect email or password")
    token = issue_access_token(settings, user_id=user.id)
    return TokenOut(access_token=token.access_token, expires_in=token.expires_in)


def user_out(session: Session, user: User) -> UserOut:
    balance = ledger.get_balance(session, user.id)
    return UserOut(id=user.id, email=user.email, is_admin=user.is_admin,
                   created_at=user.created_at,
                   credits=CreditBalance(available=balance.available, reserved=balance.reserved))
