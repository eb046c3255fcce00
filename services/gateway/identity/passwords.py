"""Password hashing with scrypt (from ``cryptography``): slow on purpose, salted, self-describing."""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from shared.errors import Refusal

# N = 2^15, r = 8, p = 1: about 0.1 s and 32 MiB per attempt here, which makes guessing costly.
_COST, _BLOCK, _PARALLEL, _LENGTH = 2**15, 8, 1, 32
MIN_PASSWORD_LENGTH = 10


def _derive(password: str, salt: bytes, cost: int, block: int, parallel: int) -> bytes:
    return Scrypt(salt=salt, length=_LENGTH, n=cost, r=block, p=parallel).derive(password.encode("utf-8"))


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = _derive(password, salt, _COST, _BLOCK, _PARALLEL)
    encode = base64.b64encode
    return f"scrypt${_COST}${_BLOCK}${_PARALLEL}${encode(salt).decode()}${encode(digest).decode()}"


# A stored hash of the same cost that no password is expected to match: checked when the user name is
# unknown or disabled, so that such a name costs what a known one does and cannot be told from it.
DUMMY_HASH = (f"scrypt${_COST}${_BLOCK}${_PARALLEL}${base64.b64encode(b'sortes-no-user!!').decode()}"
              f"${base64.b64encode(bytes(_LENGTH)).decode()}")


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, cost, block, parallel, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password, base64.b64decode(salt), int(cost), int(block), int(parallel))
    except ValueError:
        return False
    return hmac.compare_digest(derived, base64.b64decode(digest))


def password_problem(password: str, username: str) -> Refusal | None:
    """Why a new password is refused, or None. The message never repeats the password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Refusal("password.too_short", "must be at least {min} characters", {"min": MIN_PASSWORD_LENGTH})
    if username.lower() in password.lower():
        return Refusal("password.contains_username", "must not contain the user name")
    if len(set(password)) < 5:
        return Refusal("password.too_simple", "is too simple")
    return None
