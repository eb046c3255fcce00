"""Key files on disk: signing keys (Ed25519, or SM2 under the commercial-cryptography profile) and HMAC
secrets.

A key id is the first 16 hex characters of SHA-256 over the raw 32-byte Ed25519 public key, or of SM3
over the 65-byte SM2 point (the same rule the draw protocol uses), so a verifier can pick the right key
from a set. Both kinds are PKCS#8 PEM files; which one a file holds decides how it signs.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.draw.keys import ED25519, SM2, PublicKeyEntry, b64url_decode, b64url_encode, key_id
from shared.private_files import create_private_file
from shared.settings import SM_PROFILE
from shared.sm_crypto import PUBLIC_KEY_SIZE, SM2PrivateKey, check_public_key, is_sm2_pem

SigningKey = Ed25519PrivateKey | SM2PrivateKey


def profile_algorithm(profile: str) -> str:
    """The signing algorithm of a crypto profile (``standard`` or ``sm``)."""
    return SM2 if profile == SM_PROFILE else ED25519


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


def algorithm_of(key: SigningKey) -> str:
    return SM2 if isinstance(key, SM2PrivateKey) else ED25519


def signing_public_key(key: SigningKey) -> bytes:
    """The public key as the key sets publish it: raw 32 bytes (Ed25519) or 04 ‖ X ‖ Y (SM2)."""
    return key.public_key if isinstance(key, SM2PrivateKey) else raw_public_key(key.public_key())


def signing_key_id(key: SigningKey) -> str:
    return key_id(signing_public_key(key), algorithm_of(key))


def generate_signing_key(algorithm: str) -> SigningKey:
    return SM2PrivateKey.generate() if algorithm == SM2 else Ed25519PrivateKey.generate()


def signing_key_pem(key: SigningKey) -> bytes:
    if isinstance(key, SM2PrivateKey):
        return key.to_pem()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_signing_key(path: Path) -> SigningKey:
    """An Ed25519 or SM2 private key from its PKCS#8 PEM file."""
    pem = path.read_bytes()
    return SM2PrivateKey.from_pem(pem) if is_sm2_pem(pem) else load_private_key(path)


def ensure_signing_key(path: Path, algorithm: str = ED25519) -> SigningKey:
    """Load the key at ``path``, creating one of ``algorithm`` (owner-readable only) when there is none;
    an existing key keeps its own algorithm."""
    if not path.exists():
        create_private_file(path, signing_key_pem(generate_signing_key(algorithm)))
    return load_signing_key(path)


def signing_public_entry(key: SigningKey) -> PublicKeyEntry:
    """The public half of a signing key, as something that verifies (checkpoints, key sets)."""
    public = signing_public_key(key)
    return PublicKeyEntry(key_id(public, algorithm_of(key)), algorithm_of(key), public)


def public_entry_from_text(text: str) -> PublicKeyEntry:
    """A public key given as base64url: 32 raw bytes are an Ed25519 key, 65 an SM2 point (04 ‖ X ‖ Y)."""
    public = b64url_decode(text.strip())
    if len(public) == PUBLIC_KEY_SIZE:
        check_public_key(public)
        return PublicKeyEntry(key_id(public, SM2), SM2, public)
    Ed25519PublicKey.from_public_bytes(public)  # refuses anything but 32 bytes
    return PublicKeyEntry(key_id(public), ED25519, public)
