"""Key material from settings and key files, shared by the data keys and the blind index key.

Error messages name the setting or file and say what is wrong; they never repeat any part of a value,
because the value is a secret (or a secret pasted into the wrong setting).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shared.draw.keys import b64url_decode
from shared.private_files import create_private_file, replace_private_file


class KeyConfigError(ValueError):
    """A key setting or key file is missing or malformed. The message names it, never its value."""


def read_setting_or_file(environ: Mapping[str, str], name: str, file_name: str) -> tuple[str, str]:
    """The text of setting ``name`` or of the file that setting ``file_name`` points at.

    Returns the text and a description of its source for error messages.
    """
    inline = environ.get(name, "").strip()
    file_path = environ.get(file_name, "").strip()
    if inline and file_path:
        raise KeyConfigError(f"set only one of {name} and {file_name}")
    if inline:
        return inline, name
    if file_path:
        return read_key_file(Path(file_path)), f"key file {file_path} (from {file_name})"
    raise KeyConfigError(f"set {name} or {file_name}")


def read_key_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyConfigError(f"key file {path} does not exist") from None
    except UnicodeDecodeError:
        raise KeyConfigError(f"key file {path} is not ASCII text") from None
    except OSError as error:
        raise KeyConfigError(f"key file {path} cannot be read: {error.strerror}") from None


def decode_secret(text: str, source: str) -> bytes:
    try:
        return b64url_decode(text)
    except ValueError:
        raise KeyConfigError(f"{source}: the secret is not unpadded base64url") from None


def write_new_key_file(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, whole (a process starting beside this one never
    reads it half-written); raise FileExistsError rather than overwrite a key."""
    if not create_private_file(path, text.encode("ascii")):
        raise FileExistsError(f"key file {path} exists")


def replace_key_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically: a crash leaves the old or the new file, never a half-written one."""
    replace_private_file(path, text.encode("ascii"))
