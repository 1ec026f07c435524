"""A logged-in SDK client per test, each a new user with the signup credits (100)."""

import uuid
from collections.abc import Iterator

import pytest

from conveyor_client import Conveyor
from tests.support.stack import Stack

PASSWORD = "correct horse battery"


def new_email(prefix: str = "sdk") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def conveyor(stack: Stack) -> Iterator[Conveyor]:
    with Conveyor(stack.gateway_url) as client:
        email = new_email()
        client.register(email, PASSWORD)
        client.login(email, PASSWORD)
        yield client
