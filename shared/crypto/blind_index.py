"""Keyed blind index: find duplicate resident ID numbers without decrypting every stored value.

``index = hex(HMAC-H(key, "sortes blind index\\n" + purpose + "\\n" + value))``, H = SHA-256, or SM3 for a
key made under the commercial-cryptography profile (its text begins ``hmac-sm3:``).

Equal values under the same key and purpose give equal indexes, so a unique or plain index on the column
finds duplicates. The purpose separates uses: records can be matched across tables only where the same
purpose is used. The key is not any data key: it comes from ``<prefix>_BLIND_INDEX_KEY`` (unpadded base64url,
at least 32 bytes) or from the file named by ``<prefix>_BLIND_INDEX_KEY_FILE``. An ID number has little
entropy, so whoever holds this key can test guesses against the index: guard it like the data keys.
Changing the key changes every index; recompute them from the decrypted values. The hash belongs to the
key, not to the deployment's current profile, so a deployment that moves to the profile keeps finding the
values it indexed before.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from shared.crypto._key_material import (
    KeyConfigError,
    decode_secret,
    read_key_file,
    read_setting_or_file,
    write_new_key_file,
)
from shared.draw.keys import b64url_encode
from shared.settings import SM_PROFILE, crypto_profile

BLIND_INDEX_KEY_SIZE = 32
ID_NUMBER_PURPOSE = "resident_id_number"
SM3_KEY_PREFIX = "hmac-sm3:"


def normalise_id_number(id_number: str) -> str:
    """The form an ID number is indexed in: NFKC, no whitespace, a trailing ``x`` upper-cased.

    NFKC turns full-width digits and ``Ｘ`` from a Chinese input method into ASCII.
    """
    compact = "".join(unicodedata.normalize("NFKC", id_number).split())
    return compact[:-1] + "X" if compact.endswith("x") else compact


class BlindIndex:
    __slots__ = ("_hash", "_secret")

    def __init__(self, secret: bytes, hash_name: str = "sha256") -> None:
        if len(secret) < BLIND_INDEX_KEY_SIZE:
            raise ValueError(f"a blind index key needs at least {BLIND_INDEX_KEY_SIZE} bytes")
        self._secret = bytes(secret)
        self._hash = hash_name

    @property
    def hash_name(self) -> str:
        return self._hash

    def __repr__(self) -> str:
        return "BlindIndex(<secret>)"

    def index(self, value: str, *, purpose: str) -> str:
        """The index of ``value`` exactly as given; normalise it first (see :meth:`index_id_number`)."""
        if not purpose or "\n" in purpose:
            # A newline in the purpose would let ("a\nb", "c") and ("a", "b\nc") hash the same message.
            raise ValueError("the purpose must be non-empty and hold no newline")
        try:
            message = f"sortes blind index\n{purpose}\n{value}".encode()
        except UnicodeEncodeError:
            # The error object would carry the value; raise one that does not.
            raise ValueError("the value holds a lone surrogate and has no UTF-8 form") from None
        return hmac.new(self._secret, message, self._hash).hexdigest()

    def index_id_number(self, id_number: str, *, purpose: str = ID_NUMBER_PURPOSE) -> str:
        return self.index(normalise_id_number(id_number), purpose=purpose)


def blind_index_from_env(prefix: str, environ: Mapping[str, str] | None = None) -> BlindIndex:
    """The key in ``<prefix>_BLIND_INDEX_KEY`` or in the file named by ``<prefix>_BLIND_INDEX_KEY_FILE``."""
    environ = os.environ if environ is None else environ
    name = f"{prefix}_BLIND_INDEX_KEY"
    text, source = read_setting_or_file(environ, name, f"{name}_FILE")
    return _blind_index_from_text(text, source)


def load_blind_index_key_file(path: Path) -> BlindIndex:
    return _blind_index_from_text(read_key_file(path), f"key file {path}")


def ensure_blind_index_key_file(path: Path, hash_name: str | None = None) -> BlindIndex:
    """The blind index key in ``path``, created (owner-readable only) when missing, for HMAC-``hash_name``
    (by default HMAC-SM3 under ``SORTES_CRYPTO_PROFILE=sm``, HMAC-SHA256 otherwise)."""
    if hash_name is None:
        hash_name = "sm3" if crypto_profile() == SM_PROFILE else "sha256"
    prefix = SM3_KEY_PREFIX if hash_name == "sm3" else ""
    with contextlib.suppress(FileExistsError):  # then use the existing key, whoever created it
        write_new_key_file(path, prefix + b64url_encode(os.urandom(BLIND_INDEX_KEY_SIZE)) + "\n")
    return load_blind_index_key_file(path)


def _blind_index_from_text(text: str, source: str) -> BlindIndex:
    text = text.strip()
    hash_name = "sha256"
    if text.startswith(SM3_KEY_PREFIX):
        text, hash_name = text[len(SM3_KEY_PREFIX):], "sm3"
    secret = decode_secret(text, source)
    if len(secret) < BLIND_INDEX_KEY_SIZE:
        raise KeyConfigError(f"{source}: a blind index key needs at least {BLIND_INDEX_KEY_SIZE} bytes, "
                             f"got {len(secret)}")
    return BlindIndex(secret, hash_name)
