"""Settings of the experts service, from ``SORTES_EXPERTS_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shared.audit import AuditSettings
from shared.service_app import identity_public_keys
from shared.settings import data_dir, database_url, env_bool, env_str


@dataclass(frozen=True)
class ExpertsSettings:
    database_url: str
    identity_public_keys: list[str] = field(default_factory=list)
    audit: AuditSettings = field(default_factory=lambda: AuditSettings.from_env("experts"))
    draw_key_file: Path = field(default_factory=lambda: Path(env_str(
        "SORTES_EXPERTS_DRAW_KEY_FILE", str(data_dir() / "keys" / "experts-draw.pem"))))
    draw_key_set_file: Path = field(default_factory=lambda: Path(env_str(
        "SORTES_EXPERTS_DRAW_KEY_SET_FILE", str(data_dir() / "keys" / "draw-key-set.json"))))
    load_demo_data: bool = False
    log_level: str = "INFO"

    @classmethod
    def from_env(cls) -> ExpertsSettings:
        return cls(
            database_url=database_url("experts"),
            identity_public_keys=identity_public_keys(),
            load_demo_data=env_bool("SORTES_EXPERTS_DEMO_DATA", False),
            log_level=env_str("SORTES_LOG_LEVEL", "INFO"),
        )
