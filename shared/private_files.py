"""Files only their owner may read (keys, secrets), created whole or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def create_private_file(path: Path, content: bytes) -> bool:
    """Create ``path`` (mode 0600) holding ``content``; False, and the file left as it is, when one is
    already there. The bytes are written and synced to a draft beside it that is then linked into
    place, so whoever opens ``path`` reads a whole file, and of two processes racing to create it
    (replicas starting together) the first one's stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()
