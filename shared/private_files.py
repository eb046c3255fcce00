"""Files only their owner may read (keys, secrets), written whole or not at all.

The bytes go to a draft beside the file (mode 0600) and are synced to disk before the draft takes
the file's name: whoever opens the file reads a whole one, and a key that values are sealed under
right after it is written survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def create_private_file(path: Path, content: bytes) -> bool:
    """Create ``path`` holding ``content``; False, and the file left as it is, when one is already
    there. Of two processes racing to create it (replicas starting together) the first one's stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = _synced_draft(path, content)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()
    return True


def replace_private_file(path: Path, content: bytes) -> None:
    """Put ``content`` in ``path`` in place of what is there: a crash leaves the old file or the new
    one, never a half-written one."""
    draft = _synced_draft(path, content)
    try:
        os.replace(draft, path)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise


def _synced_draft(path: Path, content: bytes) -> Path:
    draft = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    return draft
