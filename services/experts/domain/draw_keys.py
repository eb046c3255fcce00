"""The experts service's draw-signing keys and the key set it publishes (sortes-draw/1, Keys).

The active key signs new draws; the key set lists it with every earlier key (their ``not_after``
set when retired), so records signed before a rotation still verify.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from shared.audit.chain import format_instant
from shared.clock import utc_now
from shared.draw import KeySet, Signer
from shared.signing_keys import ensure_private_key


@dataclass(frozen=True)
class DrawKeys:
    signer: Signer
    key_set: KeySet


def load_draw_keys(key_file: Path, key_set_file: Path) -> DrawKeys:
    """The active signer, and the published set with it added the first time it is used."""
    signer = Signer(ensure_private_key(key_file))
    key_set = KeySet.from_json_text(key_set_file.read_text()) if key_set_file.exists() else KeySet(keys=())
    if key_set.get(signer.key_id) is None:
        now = format_instant(utc_now()).split(".")[0] + "Z"
        key_set = KeySet(keys=(*key_set.keys, signer.public_entry(not_before=now)))
        key_set_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = key_set_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(key_set.to_json_dict(), indent=1) + "\n")
        os.replace(temporary, key_set_file)
    return DrawKeys(signer=signer, key_set=key_set)
