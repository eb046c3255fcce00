"""Field encryption of personal data at rest: AES-256-GCM, or SM4-GCM for GB/T 39786 assessments.

A stored value is an ASCII token of five dot-separated parts::

    v1.<key_id>.<alg>.<nonce>.<sealed>

``v1``       format version.
``key_id``   the data key that sealed the value (:func:`derive_key_id`).
``alg``      ``A256GCM`` (AES-256-GCM) or ``SM4GCM`` (SM4 block cipher in GCM mode, as in RFC 8998).
``nonce``    unpadded base64url of a fresh random 12-byte nonce.
``sealed``   unpadded base64url of the ciphertext followed by the 16-byte GCM tag.

The associated data is ``v1.<key_id>.<alg>``, a newline and the context (UTF-8). The context names
where the value lives (``"experts.phone"`` or ``"experts.phone:E00001"``), so a token copied into
another column or row does not open, and the header cannot be altered. GCM hides the content of a value,
not its length.

Keys come from settings or a key file as entries ``<algorithm>:<unpadded base64url secret>``, e.g.
``AES-256-GCM:q2...``: ``<prefix>_DATA_KEYS`` holds them comma-separated, the file named by
``<prefix>_DATA_KEY_FILE`` one per line. The first entry is the active key, which seals new values; the
others are retired keys, kept to open older values until :meth:`KeyRing.reencrypt` has moved them all.
A service holds a :class:`KeyFileRing`, which reads its file again when ``sortes keys rotate-data`` replaces
it, so values sealed under the new key open without a restart.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.exceptions import UnsupportedAlgorithm as _CryptographyUnsupported
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shared.crypto._key_material import (
    KeyConfigError,
    decode_secret,
    read_key_file,
    read_setting_or_file,
    replace_key_file,
    write_new_key_file,
)
from shared.draw.keys import b64url_decode, b64url_encode
from shared.settings import SM_PROFILE, crypto_profile

Algorithm = Literal["AES-256-GCM", "SM4-GCM"]
AES_256_GCM: Algorithm = "AES-256-GCM"
SM4_GCM: Algorithm = "SM4-GCM"

TOKEN_VERSION = "v1"
NONCE_SIZE = 12
TAG_SIZE = 16
_KEY_SIZES: dict[str, int] = {AES_256_GCM: 32, SM4_GCM: 16}
_SHORT_NAMES: dict[str, str] = {AES_256_GCM: "A256GCM", SM4_GCM: "SM4GCM"}
_ALGORITHM_BY_SHORT_NAME = {short: algorithm for algorithm, short in _SHORT_NAMES.items()}
_KEY_ID_TEXT = re.compile(r"[0-9A-Za-z_-]{1,64}")  # no dot: the key id is one part of the token
_ENTRY_SEPARATORS = re.compile(r"[,\s]+")  # neither appears in an algorithm name or in base64url


class DecryptionError(ValueError):
    """A token did not open: malformed, unknown key, wrong context or altered.

    The message never carries the plaintext or key material.
    """


class UnsupportedAlgorithmError(ValueError):
    """The algorithm is unknown, or the installed cryptography/OpenSSL build cannot run it."""


def derive_key_id(algorithm: str, secret: bytes) -> str:
    """The first 12 hex characters of SHA-256 over ``"sortes data key\\n" + algorithm + "\\n" + secret``.

    Derived from the key itself, so a key has the same id on every host without a registry of ids;
    48 bits tell a handful of keys apart and say nothing useful about the secret.
    """
    return hashlib.sha256(b"sortes data key\n" + algorithm.encode() + b"\n" + secret).hexdigest()[:12]


@dataclass(frozen=True)
class DataKey:
    key_id: str
    algorithm: Algorithm
    secret: bytes = field(repr=False)  # repr(key) may end up in a log

    def __post_init__(self) -> None:
        size = _key_size(self.algorithm)
        if len(self.secret) != size:
            raise ValueError(f"{self.algorithm} needs a {size}-byte secret, got {len(self.secret)} bytes")
        if not _KEY_ID_TEXT.fullmatch(self.key_id):
            raise ValueError("a key id is 1 to 64 characters from 0-9, A-Z, a-z, '_' and '-'")

    @classmethod
    def from_secret(cls, algorithm: Algorithm, secret: bytes) -> DataKey:
        return cls(derive_key_id(algorithm, secret), algorithm, secret)


@functools.cache
def algorithm_supported(algorithm: Algorithm) -> bool:
    """Whether the installed cryptography/OpenSSL runs ``algorithm``.

    Distribution builds of OpenSSL (Fedora, RHEL) leave SM4 out; the cryptography wheels include it.
    """
    probe = DataKey("probe", algorithm, bytes(_key_size(algorithm)))
    try:
        _cipher(probe, bytes(NONCE_SIZE)).encryptor()
    except _CryptographyUnsupported:
        return False
    return True


@dataclass(frozen=True)
class _ParsedToken:
    header: str
    key_id: str
    algorithm: str
    nonce: bytes
    ciphertext: bytes
    tag: bytes


def key_id_of(token: str) -> str:
    """The id of the key that sealed ``token``; DecryptionError when it is not a v1 token."""
    return _parse(token).key_id


class KeyRing:
    """The active data key, which seals new values, and retired keys, which only open old ones."""

    def __init__(self, active: DataKey, retired: Sequence[DataKey] = ()) -> None:
        keys: dict[str, DataKey] = {}
        for key in (active, *retired):
            if not algorithm_supported(key.algorithm):
                raise UnsupportedAlgorithmError(
                    f"{key.algorithm} (key {key.key_id}) is not available: the installed cryptography/"
                    "OpenSSL build cannot run it; install the cryptography wheel or an OpenSSL with SM4")
            if keys.setdefault(key.key_id, key) != key:
                raise ValueError(f"two different keys share the key id {key.key_id}")
        self.active = active
        self.retired = tuple(keys.values())[1:]
        self._keys = keys

    def encrypt(self, plaintext: str, *, context: str) -> str:
        try:
            data = plaintext.encode("utf-8")
        except UnicodeEncodeError:
            # The error object would carry the whole plaintext; raise one that does not.
            raise ValueError("the plaintext holds a lone surrogate and has no UTF-8 form") from None
        key = self.active
        header = f"{TOKEN_VERSION}.{key.key_id}.{_SHORT_NAMES[key.algorithm]}"
        nonce = os.urandom(NONCE_SIZE)
        encryptor = _cipher(key, nonce).encryptor()
        encryptor.authenticate_additional_data(_associated_data(header, context))
        sealed = encryptor.update(data) + encryptor.finalize() + encryptor.tag
        return f"{header}.{b64url_encode(nonce)}.{b64url_encode(sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        parsed = _parse(token)
        key = self._keys.get(parsed.key_id)
        if key is None:
            raise DecryptionError(f"no data key with id {parsed.key_id} in the key ring")
        if key.algorithm != parsed.algorithm:
            raise DecryptionError(f"the token names another algorithm than key {key.key_id}")
        decryptor = _cipher(key, parsed.nonce, parsed.tag).decryptor()
        decryptor.authenticate_additional_data(_associated_data(parsed.header, context))
        try:
            data = decryptor.update(parsed.ciphertext) + decryptor.finalize()
        except InvalidTag:
            raise DecryptionError(
                f"token under key {key.key_id} did not authenticate: wrong context or altered") from None
        return data.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` is not sealed under the active key."""
        return key_id_of(token) != self.active.key_id

    def reencrypt(self, token: str, *, context: str) -> str:
        """``token``'s value sealed again under the active key (with a fresh nonce)."""
        return self.encrypt(self.decrypt(token, context=context), context=context)


def generate_data_key(algorithm: Algorithm = AES_256_GCM) -> DataKey:
    return DataKey.from_secret(algorithm, os.urandom(_key_size(algorithm)))


def format_key_entry(key: DataKey) -> str:
    """The ``<algorithm>:<base64url secret>`` entry for a key file or ``<prefix>_DATA_KEYS``."""
    return f"{key.algorithm}:{b64url_encode(key.secret)}"


def data_algorithm_from_env(prefix: str, environ: Mapping[str, str] | None = None) -> Algorithm:
    """``<prefix>_DATA_ALGORITHM``: the algorithm for new keys; unset, SM4-GCM under the commercial-cryptography
    profile (``SORTES_CRYPTO_PROFILE=sm``) and AES-256-GCM otherwise."""
    environ = os.environ if environ is None else environ
    name = f"{prefix}_DATA_ALGORITHM"
    profile_default = SM4_GCM if crypto_profile(environ) == SM_PROFILE else AES_256_GCM
    algorithm = environ.get(name, "").strip() or profile_default
    if algorithm not in _KEY_SIZES:
        raise KeyConfigError(f"{name} must be one of {', '.join(_KEY_SIZES)}")
    return algorithm  # type: ignore[return-value]  # checked just above


def keyring_from_env(prefix: str, environ: Mapping[str, str] | None = None) -> KeyRing:
    """The key ring in ``<prefix>_DATA_KEYS`` or in the file named by ``<prefix>_DATA_KEY_FILE``."""
    environ = os.environ if environ is None else environ
    text, source = read_setting_or_file(environ, f"{prefix}_DATA_KEYS", f"{prefix}_DATA_KEY_FILE")
    return _keyring_from_text(text, source)


def load_key_file(path: Path) -> KeyRing:
    return _keyring_from_text(read_key_file(path), f"key file {path}")


def ensure_key_file(path: Path, algorithm: Algorithm = AES_256_GCM) -> KeyFileRing:
    """The key ring in ``path`` (following the file), created (owner-readable only) with one fresh key
    when missing.

    For local and demo use; production keys come from the deployment's secret store.
    """
    with contextlib.suppress(FileExistsError):  # then use the existing keys, whoever created them
        write_new_key_file(path, format_key_entry(generate_data_key(algorithm)) + "\n")
    ring = KeyFileRing(path)
    if ring.active.algorithm != algorithm:
        # Quietly sealing with the other algorithm would defeat an SM4 setting made for an assessment.
        raise KeyConfigError(f"the active key in {path} is {ring.active.algorithm}, not {algorithm}; "
                             "rotate the key file to switch algorithms")
    return ring


def rotate_key_file(path: Path, algorithm: Algorithm = AES_256_GCM) -> KeyRing:
    """Put a fresh active key at the top of ``path``, keeping the earlier keys as retired keys.

    Every process that reads the file must load it again: until it does, it cannot open values
    sealed under the new key.
    """
    current = load_key_file(path)
    ring = KeyRing(generate_data_key(algorithm), (current.active, *current.retired))
    replace_key_file(path, "".join(format_key_entry(key) + "\n" for key in (ring.active, *ring.retired)))
    return ring


class KeyFileRing(KeyRing):
    """The key ring of a key file, read again when the file changes.

    A process holding it seals new values under the key that is active in the file now, and opens
    values another process (``sortes keys rotate-data``) sealed under a key added since it started.
    Checking costs one ``stat`` per sealing; opening checks only when a token does not open.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = _file_stamp(path)
        ring = load_key_file(path)
        super().__init__(ring.active, ring.retired)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        self.follow_file()
        return super().encrypt(plaintext, context=context)

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            return super().decrypt(token, context=context)
        except DecryptionError:
            if not self.follow_file():
                raise
        return super().decrypt(token, context=context)

    def needs_rotation(self, token: str) -> bool:
        self.follow_file()
        return super().needs_rotation(token)

    def follow_file(self) -> bool:
        """Load the file again if it changed since it was read; True when it did."""
        stamp = _file_stamp(self.path)
        if stamp == self._stamp:
            return False
        ring = load_key_file(self.path)  # a file gone or spoilt raises KeyConfigError rather than sealing on
        self.active, self.retired, self._keys, self._stamp = ring.active, ring.retired, ring._keys, stamp
        return True


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    # rotate_key_file replaces the file (a new inode); an edit in place changes its time or size.
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


class Resealed(NamedTuple):
    """One batch of a data-key rotation: the last row id it looked at, the rows it changed (by their
    public codes) and how many values it sealed again under the active key."""

    last_id: int
    codes: list[str]
    values: int


def _key_size(algorithm: str) -> int:
    if algorithm not in _KEY_SIZES:
        raise UnsupportedAlgorithmError(f"data keys use one of {', '.join(_KEY_SIZES)}")
    return _KEY_SIZES[algorithm]


def _cipher(key: DataKey, nonce: bytes, tag: bytes | None = None) -> Cipher[modes.GCM]:
    block_cipher = algorithms.AES(key.secret) if key.algorithm == AES_256_GCM else algorithms.SM4(key.secret)
    return Cipher(block_cipher, modes.GCM(nonce, tag))


def _associated_data(header: str, context: str) -> bytes:
    if not context:
        raise ValueError("the context must name where the value is stored")
    return f"{header}\n{context}".encode()


def _parse(token: str) -> _ParsedToken:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 5 or parts[0] != TOKEN_VERSION:
        raise DecryptionError("not a v1 field token")
    _version, key_id, short_name, nonce_text, sealed_text = parts
    if not _KEY_ID_TEXT.fullmatch(key_id) or short_name not in _ALGORITHM_BY_SHORT_NAME:
        raise DecryptionError("malformed token header")
    try:
        nonce = b64url_decode(nonce_text)
        sealed = b64url_decode(sealed_text)
    except ValueError:
        raise DecryptionError("the token's nonce or ciphertext is not canonical base64url") from None
    if len(nonce) != NONCE_SIZE or len(sealed) < TAG_SIZE:
        raise DecryptionError("the token's nonce or ciphertext has the wrong length")
    return _ParsedToken(header=".".join(parts[:3]), key_id=key_id,
                        algorithm=_ALGORITHM_BY_SHORT_NAME[short_name],
                        nonce=nonce, ciphertext=sealed[:-TAG_SIZE], tag=sealed[-TAG_SIZE:])


def _keyring_from_text(text: str, source: str) -> KeyRing:
    entries = [entry for entry in _ENTRY_SEPARATORS.split(text) if entry]
    if not entries:
        raise KeyConfigError(f"{source} holds no key")
    keys = [_data_key_from_entry(entry, f"{source}, entry {number}")
            for number, entry in enumerate(entries, start=1)]
    return KeyRing(keys[0], keys[1:])


def _data_key_from_entry(entry: str, source: str) -> DataKey:
    algorithm, separator, secret_text = entry.partition(":")
    if not separator or algorithm not in _KEY_SIZES:
        raise KeyConfigError(f"{source}: expected <algorithm>:<base64url secret> with the algorithm one of "
                             f"{', '.join(_KEY_SIZES)}")
    secret = decode_secret(secret_text, source)
    if len(secret) != _KEY_SIZES[algorithm]:
        raise KeyConfigError(f"{source}: {algorithm} needs a {_KEY_SIZES[algorithm]}-byte secret, "
                             f"got {len(secret)} bytes")
    return DataKey.from_secret(algorithm, secret)  # type: ignore[arg-type]  # checked just above
