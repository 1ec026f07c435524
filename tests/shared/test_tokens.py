"""Access tokens: a verified token stays subject to its expiry, however often it is used."""

import time

import pytest

from shared.auth.tokens import issue_access_token, user_id_from_token
from shared.errors import ConveyorError, ErrorCode
from shared.settings import Settings


def test_a_token_used_again_after_its_expiry_is_refused():
    settings = Settings(secret_key="token-test-secret-0123456789abcdef",
                        access_token_expire_seconds=1)
    token = issue_access_token(settings, user_id=42).access_token
    assert user_id_from_token(settings, token) == 42  # verified (and remembered) once
    assert user_id_from_token(settings, token) == 42

    time.sleep(1.2)

    with pytest.raises(ConveyorError) as refused:
        user_id_from_token(settings, token)
    assert refused.value.code is ErrorCode.UNAUTHORIZED


def test_a_token_signed_with_another_key_is_refused_even_after_a_good_one():
    good = Settings(secret_key="token-test-secret-0123456789abcdef")
    other = Settings(secret_key="another-secret-key-0123456789abcd")
    token = issue_access_token(other, user_id=7).access_token
    assert user_id_from_token(other, token) == 7

    with pytest.raises(ConveyorError) as refused:
        user_id_from_token(good, token)
    assert refused.value.code is ErrorCode.UNAUTHORIZED
