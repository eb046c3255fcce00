"""The experts service's draw-signing keys and the key set it publishes (sortes-draw/1, Keys).

The active key signs new draws; the key set lists it with every earlier key (their ``not_after``
set when retired), so records signed before a rotation still verify. A rotation
(``sortes keys rotate-draw``) keeps the retired private key beside the key file
(``experts-draw-<key id>.pem``) so that draws committed under it can still be revealed, and a running
service follows the key file and the key set file when they change: no restart, no downtime.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.clock import utc_now
from shared.draw import KeySet, Signer
from shared.private_files import create_private_file, replace_private_file
from shared.signing_keys import ensure_private_key, load_private_key

_Stamp = tuple[int, int, int] | None


def key_set_instant() -> str:
    """Now, as the key set writes ``not_before`` and ``not_after``: UTC, whole seconds."""
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def retired_key_file(key_file: Path, key_id: str) -> Path:
    return key_file.with_name(f"{key_file.stem}-{key_id}{key_file.suffix}")


class DrawKeys:
    """The active signer and the published key set, read again whenever either file changes."""

    def __init__(self, key_file: Path, key_set_file: Path) -> None:
        self.key_file, self.key_set_file = key_file, key_set_file
        self._stamps: tuple[_Stamp, _Stamp] = (None, None)
        self._signer = Signer(ensure_private_key(key_file))
        self._key_set = KeySet(keys=())
        self._follow()

    @property
    def signer(self) -> Signer:
        self._follow()
        return self._signer

    @property
    def key_set(self) -> KeySet:
        self._follow()
        return self._key_set

    def signer_for(self, key_id: str) -> Signer | None:
        """The signer of ``key_id``: the active one, or a retired one still held to reveal its draws."""
        if self.signer.key_id == key_id:
            return self._signer
        retired = retired_key_file(self.key_file, key_id)
        if self._key_set.get(key_id) is None or not retired.exists():
            return None
        return Signer(load_private_key(retired))

    def _follow(self) -> None:
        stamps = (_stamp(self.key_file), _stamp(self.key_set_file))
        if stamps == self._stamps:
            return
        if stamps[0] != self._stamps[0]:
            self._signer = Signer(load_private_key(self.key_file))
        key_set = _read_key_set(self.key_set_file)
        if key_set.get(self._signer.key_id) is None:  # a new key is published the first time it is used
            key_set = KeySet(keys=(*key_set.keys, self._signer.public_entry(not_before=key_set_instant())))
            _write_key_set(self.key_set_file, key_set)
            stamps = (stamps[0], _stamp(self.key_set_file))
        self._key_set, self._stamps = key_set, stamps


def load_draw_keys(key_file: Path, key_set_file: Path) -> DrawKeys:
    """The active signer, and the published set with it added the first time it is used."""
    return DrawKeys(key_file, key_set_file)


@dataclass(frozen=True)
class Rotation:
    retired_key_id: str
    retired_key_file: Path
    active_key_id: str
    at: str


def rotate_draw_keys(key_file: Path, key_set_file: Path) -> Rotation:
    """A new active key: the old one gets ``not_after`` now and stays in the key set, and its private
    half moves beside the key file. The key set is written before the key file, so a record is never
    signed by a key the set does not list yet."""
    current = DrawKeys(key_file, key_set_file)
    old, at = current.signer, key_set_instant()
    new_key = Ed25519PrivateKey.generate()
    new = Signer(new_key)
    kept = retired_key_file(key_file, old.key_id)
    if not kept.exists():
        _write_private(kept, load_private_key(key_file))
    entries = tuple(replace(entry, not_after=entry.not_after or at) if entry.key_id == old.key_id else entry
                    for entry in current.key_set.keys)
    _write_key_set(key_set_file, KeySet(keys=(*entries, new.public_entry(not_before=at))))
    _write_private(key_file, new_key, replace_existing=True)
    return Rotation(retired_key_id=old.key_id, retired_key_file=kept, active_key_id=new.key_id, at=at)


def _stamp(path: Path) -> _Stamp:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


def _read_key_set(path: Path) -> KeySet:
    return KeySet.from_json_text(path.read_text()) if path.exists() else KeySet(keys=())


def _write_key_set(path: Path, key_set: KeySet) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(key_set.to_json_dict(), indent=1) + "\n")
    os.replace(temporary, path)


def _write_private(path: Path, key: Ed25519PrivateKey, replace_existing: bool = False) -> None:
    """A key file written whole: a running service may read it at any moment (``signer_for``)."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    if replace_existing:
        replace_private_file(path, pem)
    elif not create_private_file(path, pem):
        raise FileExistsError(f"key file {path} exists")
