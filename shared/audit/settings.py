"""Where a service's audit keys live, and how often it signs a checkpoint: every ``checkpoint_every``
entries, after every reveal, and at least every ``checkpoint_interval_seconds`` while new entries come."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.audit.recorder import AuditRecorder
from shared.audit.rows import AuditedRows
from shared.audit.tables import AuditTables
from shared.draw.keys import PublicKeyEntry
from shared.outbox.events import OutboxTables
from shared.settings import crypto_profile, data_dir, env_int, env_str
from shared.signing_keys import (
    ensure_secret_file,
    ensure_signing_key,
    load_signing_key,
    profile_algorithm,
    signing_public_entry,
)

CHECKPOINT_EVERY = 100  # entries: a checkpoint is signed at every hundredth entry
CHECKPOINT_INTERVAL_SECONDS = 3600  # and at least hourly while entries come


@dataclass(frozen=True)
class AuditSettings:
    digest_key_file: Path  # HMAC key of the before/after digests
    signing_key_file: Path  # Ed25519 or SM2 key that signs checkpoints; keep a copy of its public half apart
    checkpoint_every: int = CHECKPOINT_EVERY
    checkpoint_interval_seconds: float = CHECKPOINT_INTERVAL_SECONDS
    profile: str = "standard"  # SORTES_CRYPTO_PROFILE: SHA-256 or SM3 chain, Ed25519 or SM2 for a new key

    @classmethod
    def from_env(cls, service: str) -> AuditSettings:
        prefix, keys = f"SORTES_{service.upper()}_AUDIT", data_dir() / "keys"
        return cls(
            digest_key_file=Path(env_str(f"{prefix}_DIGEST_KEY_FILE", str(keys / f"{service}-audit-digest"))),
            signing_key_file=Path(env_str(f"{prefix}_SIGNING_KEY_FILE", str(keys / f"{service}-audit.pem"))),
            checkpoint_every=env_int(f"{prefix}_CHECKPOINT_EVERY", CHECKPOINT_EVERY),
            checkpoint_interval_seconds=env_int(f"{prefix}_CHECKPOINT_INTERVAL_SECONDS", CHECKPOINT_INTERVAL_SECONDS),
            profile=crypto_profile(),
        )

    def retired_key_files(self) -> list[Path]:
        """Earlier checkpoint keys kept beside the key file (``<name>-<key id>.pem``, by
        ``sortes keys rotate-audit``): their checkpoints still verify."""
        key = self.signing_key_file
        return sorted(key.parent.glob(f"{key.stem}-*{key.suffix}")) if key.parent.exists() else []

    def retired_public_keys(self) -> list[PublicKeyEntry]:
        return [signing_public_entry(load_signing_key(path)) for path in self.retired_key_files()]

    def recorder(self, service: str, tables: AuditTables, *, rows: AuditedRows | None = None,
                 outbox: OutboxTables | None = None) -> AuditRecorder:
        return AuditRecorder(service, tables, ensure_secret_file(self.digest_key_file),
                             ensure_signing_key(self.signing_key_file, profile_algorithm(self.profile)),
                             self.checkpoint_every, rows=rows, outbox=outbox,
                             checkpoint_interval=self.checkpoint_interval_seconds, profile=self.profile,
                             retired_keys=self.retired_public_keys())
