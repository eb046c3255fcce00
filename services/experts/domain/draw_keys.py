"""The experts service's draw-signing keys and the key set it publishes (sortes-draw/1, Keys).

The active key signs new draws; the key set lists it with every earlier key (their ``not_after``
set when retired), so records signed before a rotation still verify. A rotation
(``sortes keys rotate-draw``) keeps the retired private key beside the key file
(``experts-draw-<key id>.pem``) so that draws committed under it can still be revealed, and a running
service follows the key file and the key set file when they change: no restart, no downtime.

The key decides the profile: an Ed25519 key signs sortes-draw/1, an SM2 key sortes-draw/1-sm. A new
key file (the first start, or a rotation) takes the algorithm of the deployment's crypto profile
(``SORTES_CRYPTO_PROFILE``), so moving to the commercial-cryptography profile is one rotation: the
Ed25519 key retires into the set, and every record it signed still verifies.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from shared.clock import utc_now
from shared.draw import ED25519, DrawSigner, KeySet, Signer, SM2Signer
from shared.private_files import create_private_file, replace_private_file
from shared.signing_keys import (
    SigningKey,
    ensure_signing_key,
    generate_signing_key,
    load_signing_key,
    signing_key_pem,
)
from shared.sm_crypto import SM2PrivateKey

_Stamp = tuple[int, int, int] | None


def key_set_instant() -> str:
    """Now, as the key set writes ``not_before`` and ``not_after``: UTC, whole seconds."""
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def draw_signer(key: SigningKey) -> DrawSigner:
    return SM2Signer(key) if isinstance(key, SM2PrivateKey) else Signer(key)


def retired_key_file(key_file: Path, key_id: str) -> Path:
    return key_file.with_name(f"{key_file.stem}-{key_id}{key_file.suffix}")


class DrawKeys:
    """The active signer and the published key set, read again whenever either file changes."""

    def __init__(self, key_file: Path, key_set_file: Path, algorithm: str = ED25519) -> None:
        """``algorithm``: of the key created when ``key_file`` does not exist (an existing one keeps its own)."""
        self.key_file, self.key_set_file = key_file, key_set_file
        self._stamps: tuple[_Stamp, _Stamp] = (None, None)
        self._signer = draw_signer(ensure_signing_key(key_file, algorithm))
        self._key_set = KeySet(keys=())
        self._follow()

    @property
    def signer(self) -> DrawSigner:
        self._follow()
        return self._signer

    @property
    def key_set(self) -> KeySet:
        self._follow()
        return self._key_set

    def signer_for(self, key_id: str) -> DrawSigner | None:
        """The signer of ``key_id``: the active one, or a retired one still held to reveal its draws."""
        if self.signer.key_id == key_id:
            return self._signer
        retired = retired_key_file(self.key_file, key_id)
        if self._key_set.get(key_id) is None or not retired.exists():
            return None
        return draw_signer(load_signing_key(retired))

    def _follow(self) -> None:
        stamps = (_stamp(self.key_file), _stamp(self.key_set_file))
        if stamps == self._stamps:
            return
        # equivalent mutant: 0 → 1 — either side turned compares two files' stamps: the key is read again, the same key
        if stamps[0] != self._stamps[0]:
            self._signer = draw_signer(load_signing_key(self.key_file))
        key_set = _read_key_set(self.key_set_file)
        if key_set.get(self._signer.key_id) is None:  # a new key is published the first time it is used
            key_set = KeySet(keys=(*key_set.keys, self._signer.public_entry(not_before=key_set_instant())))
            _write_key_set(self.key_set_file, key_set)
            # equivalent mutant: 0 → 1 — a stale key stamp only reads the same key once more next time
            stamps = (stamps[0], _stamp(self.key_set_file))
        self._key_set, self._stamps = key_set, stamps


def load_draw_keys(key_file: Path, key_set_file: Path, algorithm: str = ED25519) -> DrawKeys:
    """The active signer, and the published set with it added the first time it is used."""
    return DrawKeys(key_file, key_set_file, algorithm)


@dataclass(frozen=True)
class Rotation:
    retired_key_id: str
    retired_key_file: Path
    active_key_id: str
    at: str
    retired_algorithm: str = ED25519
    active_algorithm: str = ED25519


def rotate_draw_keys(key_file: Path, key_set_file: Path, algorithm: str = ED25519) -> Rotation:
    """A new active key of ``algorithm`` (Ed25519 or SM2): the old one gets ``not_after`` now and stays
    in the key set, and its private half moves beside the key file. The key set is written before the
    key file, so a record is never signed by a key the set does not list yet."""
    current = DrawKeys(key_file, key_set_file, algorithm)
    old, at = current.signer, key_set_instant()
    new_key = generate_signing_key(algorithm)
    new = draw_signer(new_key)
    kept = retired_key_file(key_file, old.key_id)
    if not kept.exists():
        _write_private(kept, load_signing_key(key_file))
    entries = tuple(replace(entry, not_after=entry.not_after or at) if entry.key_id == old.key_id else entry
                    for entry in current.key_set.keys)
    _write_key_set(key_set_file, KeySet(keys=(*entries, new.public_entry(not_before=at))))
    _write_private(key_file, new_key, replace_existing=True)
    return Rotation(retired_key_id=old.key_id, retired_key_file=kept, active_key_id=new.key_id, at=at,
                    retired_algorithm=old.algorithm, active_algorithm=new.algorithm)


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
    # equivalent mutant: 1 → 2 — layout only: the set is read as JSON
    temporary.write_text(json.dumps(key_set.to_json_dict(), indent=1) + "\n")
    os.replace(temporary, path)


def _write_private(path: Path, key: SigningKey, replace_existing: bool = False) -> None:
    """A key file written whole: a running service may read it at any moment (``signer_for``)."""
    pem = signing_key_pem(key)
    if replace_existing:
        replace_private_file(path, pem)
    elif not create_private_file(path, pem):
        raise FileExistsError(f"key file {path} exists")
