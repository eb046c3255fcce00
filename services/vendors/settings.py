"""Settings of the vendors service, from ``SORTES_VENDORS_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shared.audit import AuditSettings
from shared.service_app import identity_public_keys
from shared.settings import bureau_units, data_dir, database_url, env_bool, env_float, env_int, env_str


def _key_path(variable: str, file_name: str) -> Path:
    return Path(env_str(variable, str(data_dir() / "keys" / file_name)))


@dataclass(frozen=True)
class VendorsSettings:
    database_url: str
    identity_public_keys: list[str] = field(default_factory=list)
    audit: AuditSettings = field(default_factory=lambda: AuditSettings.from_env("vendors"))
    # Field encryption of the legal representative's ID number, and the blind index that finds it.
    data_key_file: Path = field(default_factory=lambda: _key_path(
        "SORTES_VENDORS_DATA_KEY_FILE", "vendors-data-keys"))
    blind_index_key_file: Path = field(default_factory=lambda: _key_path(
        "SORTES_VENDORS_BLIND_INDEX_KEY_FILE", "vendors-blind-index"))
    # False: the service roles of Art. 29 may be combined with each other (财办库〔2015〕295号);
    # True: the stricter county reading bars those combinations too.
    strict_service_roles: bool = field(default_factory=lambda: env_bool(
        "SORTES_VENDORS_STRICT_SERVICE_ROLES", False))
    # Days a rated vendor has to comment (Art. 28); an undisputed rating is final once they lapse.
    rating_comment_days: int = field(default_factory=lambda: env_int("SORTES_VENDORS_RATING_COMMENT_DAYS", 14))
    # How often the service looks for ratings to finalise; 0 turns the periodic task off.
    rating_finaliser_interval_seconds: float = field(default_factory=lambda: env_float(
        "SORTES_VENDORS_RATING_FINALISER_INTERVAL", 60.0))
    load_demo_data: bool = False
    log_level: str = "INFO"
    # The bureau's units (SORTES_BUREAU_UNITS): their raters rate on any project, their staff read every project.
    bureau_units: frozenset[str] = field(default_factory=bureau_units)

    @classmethod
    def from_env(cls) -> VendorsSettings:
        return cls(
            database_url=database_url("vendors"),
            identity_public_keys=identity_public_keys(),
            load_demo_data=env_bool("SORTES_VENDORS_DEMO_DATA", False),
            log_level=env_str("SORTES_LOG_LEVEL", "INFO"),
        )
