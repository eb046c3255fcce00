"""Backup files: created readable by their owner only (0600), and optionally sealed with a key file.

A sealed backup is AES-256-GCM in chunks of 1 MiB: ``SORTESBK1`` and a line end, the key's id (the
first 8 bytes of its SHA-256) and 8 random bytes that begin every chunk's nonce, then for each chunk a
flag (1 on the last), its length and the sealed bytes. Each chunk is bound to the header, its number
and its flag, so a file cut short, reordered or spliced from two backups does not open. The key file
holds 32 random bytes in hex (``openssl rand -hex 32``), kept apart from the backups like the data keys.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"SORTESBK1\n"
CHUNK = 1 << 20
KEY_FILE_VARIABLE = "SORTES_BACKUP_KEY_FILE"


class BackupKeyError(ValueError):
    """The key file is missing or unusable, or a sealed backup does not open with it."""


def private_file(path: Path) -> Path:
    """``path`` created empty with mode 0600 (its folder 0700 when it is made here)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return path


def read_backup_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise BackupKeyError(f"cannot read the backup key file {path} ({getattr(error, 'strerror', None) or error}); "
                             f"create one with: openssl rand -hex 32 > {path}; chmod 600 {path}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupKeyError(f"the backup key file {path} must hold 32 bytes in hex (openssl rand -hex 32)")
    return key


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


def is_sealed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def seal(source: Path, target: Path, key: bytes) -> None:
    """``source`` sealed into ``target`` (created 0600)."""
    prefix = os.urandom(8)
    header = MAGIC + _key_id(key) + prefix
    cipher = AESGCM(key)
    private_file(target)
    with source.open("rb") as reader, target.open("wb") as writer:
        writer.write(header)
        number, chunk = 0, reader.read(CHUNK)
        while True:
            following = reader.read(CHUNK)
            final = not following
            flag = b"\x01" if final else b"\x00"
            counter = struct.pack(">I", number)
            sealed = cipher.encrypt(prefix + counter, chunk, header + counter + flag)
            writer.write(flag + struct.pack(">I", len(sealed)) + sealed)
            if final:
                break
            number, chunk = number + 1, following
        writer.flush()
        os.fsync(writer.fileno())


def unseal(source: Path, target: Path, key: bytes) -> None:
    """``source`` opened into ``target`` (created 0600); :class:`BackupKeyError` when it does not open."""
    cipher = AESGCM(key)
    with source.open("rb") as reader, target.open("wb") as writer:
        header = reader.read(len(MAGIC) + 16)
        if len(header) != len(MAGIC) + 16 or not header.startswith(MAGIC):
            raise BackupKeyError(f"{source} is not a sealed backup")
        if header[len(MAGIC):len(MAGIC) + 8] != _key_id(key):
            raise BackupKeyError(f"{source} was sealed with another backup key")
        prefix, number = header[-8:], 0
        while True:
            head = reader.read(5)
            if len(head) != 5:
                raise BackupKeyError(f"{source} is cut short")
            flag, length = head[:1], struct.unpack(">I", head[1:])[0]
            sealed = reader.read(length)
            try:
                writer.write(cipher.decrypt(prefix + struct.pack(">I", number), sealed,
                                            header + struct.pack(">I", number) + flag))
            except InvalidTag:
                raise BackupKeyError(f"{source} does not open: altered, or cut short") from None
            if flag == b"\x01":
                if reader.read(1):
                    raise BackupKeyError(f"{source} has bytes after its last chunk")
                return
            number += 1
