"""Draw-signing keys: key ids, base64url text, the published key set, signers.

Ed25519 keys sign sortes-draw/1, SM2 keys sortes-draw/1-sm. The key set is the JSON document served
at ``/.well-known/sortes-keys``, naming each key's algorithm::

    {"keys": [{"key_id": "...", "algorithm": "Ed25519", "public_key": "<base64url raw>",
               "not_before": "2026-01-01T00:00:00Z", "not_after": null},
              {"key_id": "...", "algorithm": "SM2", "public_key": "<base64url 04 ‖ X ‖ Y>", ...}]}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared import sm_crypto
from shared.sm_crypto import SM2, SM2PrivateKey

ED25519 = "Ed25519"
_B64URL_TEXT = re.compile(r"[A-Za-z0-9_-]*")


def key_id(public_key: bytes, algorithm: str = ED25519) -> str:
    """The first 16 hex characters of the key's hash over its public key: SHA-256 over an Ed25519
    key's raw 32 bytes, SM3 over an SM2 key's 65-byte uncompressed point."""
    if algorithm == SM2:
        return sm_crypto.sm3(public_key).hex()[:16]
    return hashlib.sha256(public_key).hexdigest()[:16]


def b64url_encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; refuse ``=``, other alphabets and non-canonical text.

    Non-canonical text (non-zero unused bits in the last character) is refused so that exactly one
    text stands for each byte string: a record that differs in any character must not verify.
    """
    if not isinstance(text, str) or not _B64URL_TEXT.fullmatch(text):
        raise ValueError("not unpadded base64url text")
    if len(text) % 4 == 1:
        raise ValueError("base64url text has an impossible length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError(f"not base64url: {error}") from None
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url text")
    return data


class KeySetError(ValueError):
    """The key set document is malformed or breaks the key set rules."""


@dataclass(frozen=True)
class PublicKeyEntry:
    """One published key. ``public_key`` is the raw key (32 bytes for Ed25519)."""

    key_id: str
    algorithm: str
    public_key: bytes
    not_before: str | None = None
    not_after: str | None = None

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True iff ``signature`` is a valid signature of ``message`` under this key (Ed25519, or SM2
        with SM3 and the default user ID; an SM2 key must have passed ``sm_crypto.check_public_key``)."""
        if self.algorithm == SM2:
            return sm_crypto.verify(self.public_key, signature, message)
        if self.algorithm != ED25519:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def to_json_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "algorithm": self.algorithm,
                "public_key": b64url_encode(self.public_key),
                "not_before": self.not_before, "not_after": self.not_after}


@dataclass(frozen=True)
class KeySet:
    """The service's keys, current and retired, with unique key ids that match their keys."""

    keys: tuple[PublicKeyEntry, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for entry in self.keys:
            if entry.key_id in seen:
                raise KeySetError(f"key_id {entry.key_id} appears more than once in the key set")
            seen.add(entry.key_id)
            if key_id(entry.public_key, entry.algorithm) != entry.key_id:
                raise KeySetError(f"key_id {entry.key_id} does not match its public key")
            if entry.algorithm == ED25519 and len(entry.public_key) != 32:
                raise KeySetError(f"key {entry.key_id}: an Ed25519 public key has 32 bytes")

    def get(self, wanted_key_id: str) -> PublicKeyEntry | None:
        return next((entry for entry in self.keys if entry.key_id == wanted_key_id), None)

    @classmethod
    def from_json(cls, document: Any) -> KeySet:
        """Parse the ``{"keys": [...]}`` document (already decoded from JSON)."""
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise KeySetError('a key set is a JSON object with a "keys" array')
        return cls(tuple(_parse_entry(index, item) for index, item in enumerate(document["keys"])))

    @classmethod
    def from_json_text(cls, text: str | bytes) -> KeySet:
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise KeySetError(f"key set is not valid JSON: {error}") from None
        return cls.from_json(document)

    def to_json_dict(self) -> dict[str, Any]:
        return {"keys": [entry.to_json_dict() for entry in self.keys]}


def _parse_entry(index: int, item: Any) -> PublicKeyEntry:
    where = f"keys[{index}]"
    if not isinstance(item, Mapping):
        raise KeySetError(f"{where} is not a JSON object")
    for name in ("key_id", "algorithm", "public_key"):
        if not isinstance(item.get(name), str):
            raise KeySetError(f"{where}.{name} is missing or not a string")
    for name in ("not_before", "not_after"):
        if item.get(name) is not None and not isinstance(item[name], str):
            raise KeySetError(f"{where}.{name} is neither a string nor null")
    try:
        raw = b64url_decode(item["public_key"])
    except ValueError as error:
        raise KeySetError(f"{where}.public_key: {error}") from None
    return PublicKeyEntry(key_id=item["key_id"], algorithm=item["algorithm"], public_key=raw,
                          not_before=item.get("not_before"), not_after=item.get("not_after"))


class Signer:
    """An Ed25519 private key that signs draw messages and names itself by key id."""

    algorithm = ED25519

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key_bytes: bytes = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id: str = key_id(self.public_key_bytes)

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        """A signer from the 32-byte Ed25519 private key seed (RFC 8032)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    def public_entry(self, not_before: str | None = None, not_after: str | None = None) -> PublicKeyEntry:
        """This key as a key set entry, for publishing."""
        return PublicKeyEntry(self.key_id, ED25519, self.public_key_bytes, not_before, not_after)

    def __repr__(self) -> str:  # never show key material
        return f"Signer(key_id={self.key_id!r})"


class SM2Signer:
    """An SM2 private key that signs draw messages (sortes-draw/1-sm) and names itself by key id."""

    algorithm = SM2

    def __init__(self, private_key: SM2PrivateKey) -> None:
        self._private_key = private_key
        self.public_key_bytes: bytes = private_key.public_key
        self.key_id: str = key_id(self.public_key_bytes, SM2)

    @classmethod
    def generate(cls) -> SM2Signer:
        return cls(SM2PrivateKey.generate())

    def sign(self, message: bytes) -> bytes:
        """r ‖ s (64 bytes) over SM3(Z ‖ message), Z with the default user ID."""
        return self._private_key.sign(message)

    def public_entry(self, not_before: str | None = None, not_after: str | None = None) -> PublicKeyEntry:
        return PublicKeyEntry(self.key_id, SM2, self.public_key_bytes, not_before, not_after)

    def __repr__(self) -> str:  # never show key material
        return f"SM2Signer(key_id={self.key_id!r})"


DrawSigner = Signer | SM2Signer
