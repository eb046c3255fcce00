"""Key files on disk: Ed25519 signing keys (generate, load, name by key id) and HMAC secrets.

A key id is the first 16 hex characters of SHA-256 over the raw 32-byte public key (the same rule
the draw protocol uses), so a verifier can pick the right key from a set.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.draw.keys import b64url_decode, b64url_encode, key_id
from shared.private_files import create_private_file


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    return key_id(raw_public_key(public_key))


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key given as base64url of its raw 32 bytes."""
    return Ed25519PublicKey.from_public_bytes(b64url_decode(text.strip()))


def public_key_text(public_key: Ed25519PublicKey) -> str:
    return b64url_encode(raw_public_key(public_key))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def ensure_private_key(path: Path) -> Ed25519PrivateKey:
    """Load the key at ``path``, creating it (readable by the owner only) when it does not exist. Two
    processes starting together (replicas of a service) end up with the same key."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        create_private_file(path, pem)
    return load_private_key(path)


def ensure_secret_file(path: Path) -> bytes:
    """A 32-byte secret kept as hex in ``path``, created (owner-readable only) when missing."""
    if not path.exists():
        create_private_file(path, os.urandom(32).hex().encode())
    return bytes.fromhex(path.read_text().strip())
