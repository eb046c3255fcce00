"""Keyed blind index: find duplicate resident ID numbers without decrypting every stored value.

``index = hex(HMAC-SHA256(key, "sortes blind index\\n" + purpose + "\\n" + value))``

Equal values under the same key and purpose give equal indexes, so a unique or plain index on the column
finds duplicates. The purpose separates uses: records can be matched across tables only where the same
purpose is used. The key is not any data key: it comes from ``<prefix>_BLIND_INDEX_KEY`` (unpadded base64url,
at least 32 bytes) or from the file named by ``<prefix>_BLIND_INDEX_KEY_FILE``. An ID number has little
entropy, so whoever holds this key can test guesses against the index: guard it like the data keys.
Changing the key changes every index; recompute them from the decrypted values.
"""

from __future__ import annotations

import contextlib
import hashlib
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

BLIND_INDEX_KEY_SIZE = 32
ID_NUMBER_PURPOSE = "resident_id_number"


def normalise_id_number(id_number: str) -> str:
    """The form an ID number is indexed in: NFKC, no whitespace, a trailing ``x`` upper-cased.

    NFKC turns full-width digits and ``Ｘ`` from a Chinese input method into ASCII.
    """
    compact = "".join(unicodedata.normalize("NFKC", id_number).split())
    return compact[:-1] + "X" if compact.endswith("x") else compact


class BlindIndex:
    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < BLIND_INDEX_KEY_SIZE:
            raise ValueError(f"a blind index key needs at least {BLIND_INDEX_KEY_SIZE} bytes")
        self._secret = bytes(secret)

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
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

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


def ensure_blind_index_key_file(path: Path) -> BlindIndex:
    """The blind index key in ``path``, created (owner-readable only) when missing. For local and demo use."""
    with contextlib.suppress(FileExistsError):  # then use the existing key, whoever created it
        write_new_key_file(path, b64url_encode(os.urandom(BLIND_INDEX_KEY_SIZE)) + "\n")
    return load_blind_index_key_file(path)


def _blind_index_from_text(text: str, source: str) -> BlindIndex:
    secret = decode_secret(text.strip(), source)
    if len(secret) < BLIND_INDEX_KEY_SIZE:
        raise KeyConfigError(f"{source}: a blind index key needs at least {BLIND_INDEX_KEY_SIZE} bytes, "
                             f"got {len(secret)}")
    return BlindIndex(secret)
