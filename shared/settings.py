"""Reading configuration from ``SORTES_*`` environment variables with sane defaults."""

from __future__ import annotations

import os
from pathlib import Path


class SettingsError(ValueError):
    """A configuration value is present but unusable; the message names the variable."""


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
