"""Fixtures of the tests that use the shared package directly against the test database."""

import uuid
from collections.abc import Callable

import pytest

from shared.auth.accounts import create_user
from shared.db import session_scope


@pytest.fixture
def make_user(database: str) -> Callable[[int], int]:
    def make(credits: int) -> int:
        with session_scope() as session:
            user = create_user(session, email=f"ledger-{uuid.uuid4().hex[:10]}@example.com",
                               password="correct horse battery", signup_credits=credits)
            return user.id

    return make
