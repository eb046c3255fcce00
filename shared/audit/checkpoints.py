"""Signed checkpoints: the service's signature over one (sequence, hash) head of its chain — Ed25519, or SM2
(with SM3 and the default user ID) when the service's checkpoint key is an SM2 key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.draw.keys import PublicKeyEntry
from shared.signing_keys import SigningKey, b64url_decode, b64url_encode, signing_key_id


@dataclass(frozen=True)
class SignedCheckpoint:
    service: str
    seq: int
    entry_hash: str
    signed_at: str  # RFC 3339 UTC
    key_id: str
    signature: str  # base64url

    def message(self) -> bytes:
        return checkpoint_message(self.service, self.seq, self.entry_hash, self.signed_at)

    def to_json(self) -> dict[str, object]:
        return {"service": self.service, "seq": self.seq, "entry_hash": self.entry_hash,
                "signed_at": self.signed_at, "key_id": self.key_id, "signature": self.signature}


def checkpoint_message(service: str, seq: int, entry_hash: str, signed_at: str) -> bytes:
    return (f"sortes-audit-checkpoint/1\nservice:{service}\nseq:{seq}\nhash:{entry_hash}\n"
            f"signed_at:{signed_at}\n").encode()


def sign_checkpoint(key: SigningKey, service: str, seq: int, entry_hash: str, signed_at: str) -> SignedCheckpoint:
    signature = key.sign(checkpoint_message(service, seq, entry_hash, signed_at))
    return SignedCheckpoint(service, seq, entry_hash, signed_at, signing_key_id(key), b64url_encode(signature))


def checkpoint_is_authentic(checkpoint: SignedCheckpoint, keys: Mapping[str, PublicKeyEntry]) -> bool:
    """Whether one of ``keys`` (by key id; Ed25519 or SM2) signed ``checkpoint``."""
    key = keys.get(checkpoint.key_id)
    if key is None:
        return False
    try:
        signature = b64url_decode(checkpoint.signature)
    except ValueError:
        return False
    return key.verify(signature, checkpoint.message())
