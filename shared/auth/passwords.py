"""Password hashing with Argon2id (pwdlib's recommended scheme)."""

import secrets
from functools import lru_cache

from pwdlib import PasswordHash


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher().verify(password, password_hash)


@lru_cache
def dummy_hash() -> str:
    """A hash no password matches, to verify against when the account does not exist."""
    return _hasher().hash(secrets.token_urlsafe(32))
