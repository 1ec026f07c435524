from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth.models import User


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == email.lower())).first()


def add_user(session: Session, *, email: str, password_hash: str, is_admin: bool = False) -> User:
    user = User(email=email.lower(), password_hash=password_hash, is_admin=is_admin)
    session.add(user)
    session.flush()
    return user
