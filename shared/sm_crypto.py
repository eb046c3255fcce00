"""Commercial cryptography (商用密码): SM3 hashes, HMAC-SM3 and SM2 signatures.

SM3 (GB/T 32905-2016, GM/T 0004) comes from OpenSSL through ``hashlib``, as SHA-256 does. SM2
signatures (GB/T 32918.2-2016, GM/T 0003.2) are not in ``cryptography``; they come from ``gmalg``
(MIT, pure Python, no dependencies, nonces from ``secrets``, r and s range-checked on verification).
Signatures follow GM/T 0009-2012: the signer's Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) with the
default user ID ``1234567812345678``, and e = SM3(Z ‖ message).

Encodings used everywhere in sortes:
- a public key: the uncompressed point, 0x04 ‖ X ‖ Y (65 bytes, X and Y 32 bytes big-endian);
- a signature: r ‖ s (64 bytes, each 32 bytes big-endian);
- a private key file: PKCS#8 PEM ("PRIVATE KEY"), algorithm id-ecPublicKey with the named curve
  sm2p256v1 (1.2.156.10197.1.301), as OpenSSL writes and reads SM2 keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

import gmalg

SM2 = "SM2"
DEFAULT_USER_ID = b"1234567812345678"  # GM/T 0009-2012, 10.3
PUBLIC_KEY_SIZE = 65
SIGNATURE_SIZE = 64
# The order n of sm2p256v1's base point (GB/T 32918.5-2017).
CURVE_ORDER = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123
_P = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF
_A = _P - 3
_B = 0x28E9FA9E_9D9F5E34_4D5A9E4B_CF6509A7_F39789F5_15AB8F92_DDBCBD41_4D940E93
_PEM = re.compile(rb"-----BEGIN PRIVATE KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PRIVATE KEY-----")
# PrivateKeyInfo { version 0, AlgorithmIdentifier { id-ecPublicKey, sm2p256v1 }, OCTET STRING {
#   ECPrivateKey { version 1, OCTET STRING (32 bytes d), [1] { BIT STRING (65-byte point) } } } }
_PKCS8_HEAD = bytes.fromhex("308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420")
_PKCS8_MIDDLE = bytes.fromhex("a144034200")


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def sm3_hasher() -> hashlib._Hash:
    """A fresh SM3 state (for streaming and for ``copy()``)."""
    return hashlib.new("sm3")


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, "sm3").digest()


def sm3_available() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


class SM2KeyError(ValueError):
    """Bytes that are not an SM2 public key, private key or key file."""


def check_public_key(public_key: bytes) -> None:
    """Refuse anything but an uncompressed point on sm2p256v1 of order n (not the point at infinity)."""
    if len(public_key) != PUBLIC_KEY_SIZE or public_key[0] != 0x04:
        raise SM2KeyError(f"an SM2 public key is 0x04 ‖ X ‖ Y, {PUBLIC_KEY_SIZE} bytes")
    x, y = int.from_bytes(public_key[1:33], "big"), int.from_bytes(public_key[33:], "big")
    # The curve's cofactor is 1: every point on it but infinity (which has no affine x, y) has order n.
    if x >= _P or y >= _P or (y * y - (x * x * x + _A * x + _B)) % _P != 0:
        raise SM2KeyError("the SM2 public key is not a point of the curve sm2p256v1")


def verify(public_key: bytes, signature: bytes, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> bool:
    """True iff ``signature`` (r ‖ s) is a valid SM2 signature of ``message`` under ``public_key``.

    The key must already have passed :func:`check_public_key`; r and s outside [1, n−1] fail.
    """
    if len(signature) != SIGNATURE_SIZE or len(public_key) != PUBLIC_KEY_SIZE:
        return False
    try:
        return bool(gmalg.SM2(uid=user_id, pk=public_key).verify(message, signature[:32], signature[32:]))
    except Exception:  # a malformed point surfaces as gmalg's own errors: not a valid signature
        return False


class SM2PrivateKey:
    """An SM2 private key d (1 ≤ d ≤ n − 2) with its public point; signs with the default user ID."""

    def __init__(self, scalar: int) -> None:
        if not 1 <= scalar <= CURVE_ORDER - 2:
            raise SM2KeyError("an SM2 private key lies in [1, n − 2]")
        self._d = scalar.to_bytes(32, "big")
        self.public_key: bytes = gmalg.SM2().generate_pk(self._d)
        self._sm2 = gmalg.SM2(self._d, DEFAULT_USER_ID, self.public_key)

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        return cls(secrets.randbelow(CURVE_ORDER - 2) + 1)

    @classmethod
    def from_pem(cls, pem: bytes) -> SM2PrivateKey:
        match = _PEM.search(pem)
        der = base64.b64decode(b"".join(match.group(1).split())) if match else b""
        head, middle = len(_PKCS8_HEAD), len(_PKCS8_HEAD) + 32
        if (len(der) != middle + len(_PKCS8_MIDDLE) + PUBLIC_KEY_SIZE or not der.startswith(_PKCS8_HEAD)
                or der[middle:middle + len(_PKCS8_MIDDLE)] != _PKCS8_MIDDLE):
            raise SM2KeyError("not a PKCS#8 SM2 private key (sm2p256v1) as sortes writes them")
        key = cls(int.from_bytes(der[head:middle], "big"))
        if der[-PUBLIC_KEY_SIZE:] != key.public_key:
            raise SM2KeyError("the key file's public key does not belong to its private key")
        return key

    def to_pem(self) -> bytes:
        der = _PKCS8_HEAD + self._d + _PKCS8_MIDDLE + self.public_key
        lines = [base64.b64encode(der)[i:i + 64] for i in range(0, len(base64.b64encode(der)), 64)]
        return b"-----BEGIN PRIVATE KEY-----\n" + b"\n".join(lines) + b"\n-----END PRIVATE KEY-----\n"

    def sign(self, message: bytes) -> bytes:
        """r ‖ s over SM3(Z ‖ message), with a fresh nonce from ``secrets``."""
        r, s = self._sm2.sign(message)
        return r.rjust(32, b"\0") + s.rjust(32, b"\0")

    def __repr__(self) -> str:  # never show key material
        return "SM2PrivateKey(...)"


def is_sm2_pem(pem: bytes) -> bool:
    """Whether a PEM key file holds an SM2 key (sortes' own layout), without parsing it whole."""
    match = _PEM.search(pem)
    if not match:
        return False
    try:
        der = base64.b64decode(b"".join(match.group(1).split()))
    except ValueError:
        return False
    return der.startswith(_PKCS8_HEAD)
