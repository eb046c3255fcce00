"""Reading configuration from ``SORTES_*`` environment variables with sane defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class SettingsError(ValueError):
    """A configuration value is present but unusable; the message names the variable."""


ENV_FILE_VARIABLE = "SORTES_ENV_FILE"
DEFAULT_ENV_FILE = Path("/etc/sortes/sortes.env")


def env_file_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The deployment's settings file: ``SORTES_ENV_FILE`` when set, else ``/etc/sortes/sortes.env``
    when it exists; None when there is none (a development checkout)."""
    environ = os.environ if environ is None else environ
    named = environ.get(ENV_FILE_VARIABLE, "").strip()
    if named:
        return Path(named)
    return DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.is_file() else None


def parse_env_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines as systemd's ``EnvironmentFile=`` and Docker's ``--env-file`` read them:
    blank lines and ``#`` comments skipped, an optional ``export``, a value optionally in quotes."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        line = line.removeprefix("export ").strip()
        name, equals, value = line.partition("=")
        name = name.strip()
        if not equals or not name.replace("_", "").isalnum():
            raise SettingsError(f"line {number} of the settings file is not NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value
    return values


def load_env_file(environ: dict[str, str] | None = None) -> Path | None:
    """Put the settings file's values (:func:`env_file_path`) into ``environ`` (the process's by
    default) where a variable is not already set: what the services read under systemd, operator
    commands read too, so nothing needs exporting by hand. The file read, or None."""
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    path = env_file_path(environ)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"{ENV_FILE_VARIABLE}: cannot read {path} ({error.strerror or error})") from None
    for name, value in parse_env_file(text).items():
        if not environ.get(name, "").strip():
            environ[name] = value
    return path


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


STANDARD_PROFILE, SM_PROFILE = "standard", "sm"
CRYPTO_PROFILES = (STANDARD_PROFILE, SM_PROFILE)


def crypto_profile(environ: Mapping[str, str] | None = None) -> str:
    """``SORTES_CRYPTO_PROFILE`` (in ``environ``, by default the process's): ``standard`` (Ed25519, SHA-256,
    AES-256-GCM) or ``sm`` (the commercial cryptography profile: SM2, SM3, SM4-GCM; docs/cryptography.md).
    The deployment's choice for new keys and new audit entries; what exists keeps the algorithm it was
    made with."""
    environ = os.environ if environ is None else environ
    value = (environ.get("SORTES_CRYPTO_PROFILE", "").strip() or STANDARD_PROFILE).lower()
    if value not in CRYPTO_PROFILES:
        raise SettingsError(f"SORTES_CRYPTO_PROFILE must be one of {', '.join(CRYPTO_PROFILES)}")
    return value


def data_dir() -> Path:
    """The folder holding embedded SQLite files and generated keys (``./data`` by default)."""
    return Path(env_str("SORTES_DATA_DIR", "data")).resolve()


def default_sqlite_url(service: str) -> str:
    return f"sqlite+aiosqlite:///{data_dir() / f'{service}.db'}"


def database_url(service: str) -> str:
    """``SORTES_<SERVICE>_DATABASE_URL``; a plain ``postgresql://`` URL is given the asyncpg driver."""
    url = env_str(f"SORTES_{service.upper()}_DATABASE_URL", default_sqlite_url(service))
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain):]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


def bureau_units() -> frozenset[str]:
    """``SORTES_BUREAU_UNITS``: USCCs of the bureau's units (大数据局), comma-separated. Their staff act for
    every unit: a rater of the bureau rates vendors on any project (Art. 28), and unit roles of the bureau
    read every project. By default the demo bureau, the unit ``SORTES_ADMIN_API_KEY``'s key belongs to."""
    from shared.demo import bureau_unit  # not at the top: shared.demo reads project types, which read settings

    return frozenset(code.upper() for code in env_list("SORTES_BUREAU_UNITS", [bureau_unit().uscc]))
