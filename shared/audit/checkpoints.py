"""Signed checkpoints: the service's Ed25519 signature over one (sequence, hash) head of its chain."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.signing_keys import b64url_decode, b64url_encode, key_id_of


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


def sign_checkpoint(key: Ed25519PrivateKey, service: str, seq: int, entry_hash: str,
                    signed_at: str) -> SignedCheckpoint:
    signature = key.sign(checkpoint_message(service, seq, entry_hash, signed_at))
    return SignedCheckpoint(service, seq, entry_hash, signed_at, key_id_of(key.public_key()),
                            b64url_encode(signature))


def checkpoint_is_authentic(checkpoint: SignedCheckpoint, keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(checkpoint.key_id)
    if key is None:
        return False
    try:
        key.verify(b64url_decode(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True
