"""Settings of the gateway, from ``SORTES_GATEWAY_*`` (and a few ``SORTES_*``) environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shared.audit import AuditSettings
from shared.settings import data_dir, database_url, env_bool, env_float, env_int, env_list, env_str


@dataclass(frozen=True)
class GatewaySettings:
    database_url: str
    experts_urls: list[str]
    vendors_urls: list[str]
    identity_key_file: Path  # Ed25519 private key that signs identity assertions
    api_key_secret_file: Path  # key of the HMAC that API keys are stored under
    admin_api_key: str | None = None
    # AES-256-GCM keys sealing the answers kept for Idempotency-Key (they can hold a panel's names and phones)
    data_key_file: Path = field(default_factory=lambda: Path(env_str(
        "SORTES_GATEWAY_DATA_KEY_FILE", str(data_dir() / "keys" / "gateway-data-keys"))))
    idempotency_hours: int = 24  # how long an Idempotency-Key's answer is kept and given again
    audit: AuditSettings = field(default_factory=lambda: AuditSettings.from_env("gateway"))
    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 10.0
    webhook_interval_seconds: float = 1.0
    rate_limit_per_minute: int = 600  # per API key or user
    sign_in_rate_limit_per_minute: int = 10  # per client address
    application_rate_limit_per_minute: int = 5  # the public application page's calls, per client address
    answer_link_rate_limit_per_minute: int = 20  # the experts' one-time answer page, per client address
    sign_in_max_failures: int = 5
    sign_in_lockout_minutes: int = 15
    token_lifetime_hours: int = 8
    # Peers whose X-Forwarded-For/-Proto are believed (addresses or CIDR networks): the proxy in front.
    trusted_proxies: tuple[str, ...] = ()
    webhook_allow_private: bool = False  # webhooks to loopback, private, link-local addresses (tests only)
    log_level: str = "INFO"

    @classmethod
    def from_env(cls) -> GatewaySettings:
        keys = data_dir() / "keys"
        return cls(
            database_url=database_url("gateway"),
            experts_urls=env_list("SORTES_GATEWAY_EXPERTS_URLS", ["http://127.0.0.1:8001"]),
            vendors_urls=env_list("SORTES_GATEWAY_VENDORS_URLS", ["http://127.0.0.1:8002"]),
            identity_key_file=Path(env_str("SORTES_GATEWAY_IDENTITY_KEY_FILE", str(keys / "identity.pem"))),
            api_key_secret_file=Path(env_str("SORTES_GATEWAY_API_KEY_SECRET_FILE",
                                             str(keys / "api-key-secret"))),
            admin_api_key=env_str("SORTES_ADMIN_API_KEY", "") or None,
            connect_timeout_seconds=env_float("SORTES_GATEWAY_CONNECT_TIMEOUT", 2.0),
            read_timeout_seconds=env_float("SORTES_GATEWAY_READ_TIMEOUT", 10.0),
            webhook_interval_seconds=env_float("SORTES_GATEWAY_WEBHOOK_INTERVAL", 1.0),
            rate_limit_per_minute=env_int("SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE", 600),
            sign_in_rate_limit_per_minute=env_int("SORTES_GATEWAY_SIGN_IN_RATE_LIMIT_PER_MINUTE", 10),
            application_rate_limit_per_minute=env_int("SORTES_GATEWAY_APPLICATION_RATE_LIMIT_PER_MINUTE", 5),
            answer_link_rate_limit_per_minute=env_int("SORTES_GATEWAY_ANSWER_LINK_RATE_LIMIT_PER_MINUTE", 20),
            sign_in_max_failures=env_int("SORTES_GATEWAY_SIGN_IN_MAX_FAILURES", 5),
            sign_in_lockout_minutes=env_int("SORTES_GATEWAY_SIGN_IN_LOCKOUT_MINUTES", 15),
            token_lifetime_hours=env_int("SORTES_GATEWAY_TOKEN_LIFETIME_HOURS", 8),
            trusted_proxies=tuple(env_list("SORTES_TRUSTED_PROXIES", [])),
            webhook_allow_private=env_bool("SORTES_WEBHOOK_ALLOW_PRIVATE", False),
            idempotency_hours=env_int("SORTES_GATEWAY_IDEMPOTENCY_HOURS", 24),
            log_level=env_str("SORTES_LOG_LEVEL", "INFO"),
        )
