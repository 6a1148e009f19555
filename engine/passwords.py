"""Password hashing with Argon2id (argon2-cffi's recommended parameters).

``PTSP_PASSWORD_PROFILE=test`` selects argon2-cffi's cheapest parameters so
that a test suite logging in hundreds of times stays fast; it is refused
unless tests ask for it explicitly, and production never sets it.
"""

from __future__ import annotations

import os
from functools import lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8


@lru_cache(maxsize=2)
def _hasher(profile: str) -> PasswordHasher:
    if profile == "test":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


def _current() -> PasswordHasher:
    return _hasher(os.environ.get("PTSP_PASSWORD_PROFILE", "default"))


def hash_password(password: str) -> str:
    return _current().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash or not isinstance(password, str):
        return False
    try:
        return _current().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
