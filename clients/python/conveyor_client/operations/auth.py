"""Accounts and credits."""

from conveyor_client.models import Credits, Token, User
from conveyor_client.steps import Call, Operation, create, get


def register(email: str, password: str) -> Operation[User]:
    """Create an account (it starts with the server's signup credits)."""
    body = {"email": email, "password": password}
    return User.model_validate((yield create("/api/v1/auth/register", json=body)))


def login(email: str, password: str) -> Operation[Token]:
    """Exchange email and password for a bearer token."""
    body = {"email": email, "password": password}
    return Token.model_validate((yield Call(method="POST", path="/api/v1/auth/login",
                                            json=body, replay_safe=True)))


def me() -> Operation[User]:
    """The signed-in user and their credit balance."""
    return User.model_validate((yield get("/api/v1/auth/me")))


def credits(*, limit: int = 50, offset: int = 0) -> Operation[Credits]:
    """Balance, reserved credits and the ledger, newest first."""
    return Credits.model_validate((yield get("/api/v1/credits", limit=limit, offset=offset)))
