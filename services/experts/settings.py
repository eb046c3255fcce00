"""Settings of the experts service, from ``SORTES_EXPERTS_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from services.experts.domain.messaging import AlibabaTemplates, NotifySettings
from shared.audit import AuditSettings
from shared.contracts.panels import Purpose
from shared.crypto import Algorithm, data_algorithm_from_env
from shared.service_app import identity_public_keys
from shared.settings import bureau_units, crypto_profile, data_dir, database_url, env_bool, env_int, env_str
from shared.signing_keys import profile_algorithm


def _key_path(variable: str, file_name: str) -> Path:
    return Path(env_str(variable, str(data_dir() / "keys" / file_name)))


@dataclass(frozen=True)
class PoolRules:
    """The numbers of the pool rules (docs/architecture.md §6); each a ``SORTES_EXPERTS_*`` setting."""

    max_age: int = 70  # eligible while younger, on the meeting date
    training_valid_months: int = 12  # the bureau's setting (Art. 30 sets no period)
    bad_conduct_years: int = 3
    former_employer_years: int = 3  # avoidance (回避) looks this far back
    yearly_panel_cap: int = 12
    # Suspension rules: reaching any threshold over the look-back suspends the expert automatically.
    suspension_max_declines: int = 3
    suspension_max_no_shows: int = 2
    suspension_max_low_scores: int = 2
    suspension_months: int = 6
    conduct_lookback_months: int = 12  # declines, no-shows and low scores count this far back
    low_score_below: int = 60  # an evaluation score (0–100) below this is a low score
    evaluation_working_days: int = 5  # the organiser evaluates the members within these after the meeting
    # Draws: the supervisor must come from another unit than the organiser (1) or may not (0); experts
    # seated on another panel of the same project are avoided (1) or not (0).
    supervisor_from_other_unit: int = 1
    avoid_same_project_experts: int = 0
    spot_check_percent: int = 10  # Art. 25: the share of self-evaluations sampled each year
    # A new panel for a project and purpose whose panel was cancelled after its reveal within these
    # days must name that panel (``replaces``): no quiet re-roll.
    replacement_window_days: int = 180
    # The public bulletin names the members (1) or shows pool numbers only (0, the default).
    bulletin_names: int = 0
    # Annual assessment (年度考核): 不合格 when any of the first three is reached over the year,
    # 基本合格 when an expert falls short of 合格 (any unexcused decline or no-show, an average score
    # below assessment_pass_score, or no valid training at the year's end).
    assessment_fail_declines: int = 3  # declines without a valid reason
    assessment_fail_no_shows: int = 2
    assessment_fail_score_below: int = 60  # the year's average evaluation score
    assessment_pass_score: int = 80

    @classmethod
    def from_env(cls) -> PoolRules:
        defaults = cls()
        return cls(**{name: env_int(f"SORTES_EXPERTS_{name.upper()}", getattr(defaults, name))
                      for name in cls.__dataclass_fields__})


def notify_settings_from_env() -> NotifySettings:
    """How invited members are told (``SORTES_EXPERTS_NOTIFY_*``; README, "Notifying members")."""
    defaults = NotifySettings()
    provider = env_str("SORTES_EXPERTS_NOTIFY_PROVIDER", defaults.provider)
    if provider not in ("local", "alibaba", "off"):
        raise RuntimeError("SORTES_EXPERTS_NOTIFY_PROVIDER must be local, alibaba or off")
    return NotifySettings(
        provider=provider, voice=env_bool("SORTES_EXPERTS_NOTIFY_VOICE", defaults.voice),
        link_base=env_str("SORTES_EXPERTS_NOTIFY_LINK_BASE", defaults.link_base),
        max_attempts=env_int("SORTES_EXPERTS_NOTIFY_MAX_ATTEMPTS", defaults.max_attempts),
        retry_seconds=env_int("SORTES_EXPERTS_NOTIFY_RETRY_SECONDS", defaults.retry_seconds),
        interval_seconds=float(env_int("SORTES_EXPERTS_NOTIFY_INTERVAL_SECONDS", int(defaults.interval_seconds))))


def alibaba_templates_from_env() -> AlibabaTemplates:
    """The approved sign name and template codes (``SORTES_EXPERTS_ALIBABA_*``)."""
    return AlibabaTemplates(
        sign_name=env_str("SORTES_EXPERTS_ALIBABA_SIGN_NAME", ""),
        sms_template=env_str("SORTES_EXPERTS_ALIBABA_SMS_TEMPLATE", ""),
        tts_template=env_str("SORTES_EXPERTS_ALIBABA_TTS_TEMPLATE", "") or None,
        called_show_number=env_str("SORTES_EXPERTS_ALIBABA_CALLED_SHOW_NUMBER", "") or None,
        region=env_str("SORTES_EXPERTS_ALIBABA_REGION", "cn-hangzhou"))


@dataclass(frozen=True)
class PanelSize:
    """The primaries a panel of one purpose must have: at least ``minimum``, and an odd number when ``odd``."""

    minimum: int = 1
    odd: bool = False


# At least 3 primaries and an odd number for 技术审查, 专家论证, 初验 and 终验; 调研 takes any size.
DEFAULT_PANEL_SIZES = {Purpose.TECHNICAL_REVIEW: PanelSize(3, True), Purpose.EXPERT_REVIEW: PanelSize(3, True),
                       Purpose.INITIAL_ACCEPTANCE: PanelSize(3, True), Purpose.FINAL_ACCEPTANCE: PanelSize(3, True)}
# 评审劳务费: yuan per attended half-day, by purpose (SORTES_EXPERTS_FEE_RATES).
DEFAULT_FEE_RATES = {Purpose.TECHNICAL_REVIEW: 800, Purpose.EXPERT_REVIEW: 1000, Purpose.INITIAL_ACCEPTANCE: 800,
                     Purpose.FINAL_ACCEPTANCE: 1000, Purpose.RESEARCH: 600}


def _purpose_map(variable: str, default: str) -> dict[Purpose, str]:
    """``purpose=value,purpose=value``; an unknown purpose stops the service at start."""
    text = env_str(variable, default).strip()
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"{variable}: write purpose=value, comma-separated")
    return {Purpose(name.strip()): value.strip() for name, value in pairs}


def _size(value: str) -> PanelSize:
    minimum, _, odd = value.partition(":")
    if odd not in ("", "odd"):
        raise ValueError(f"panel size {value!r}: write N or N:odd")
    return PanelSize(int(minimum), odd == "odd")


@dataclass(frozen=True)
class PanelRules:
    """The bureau's panel settings: sizes per purpose, fee rates, and which units are the bureau's."""

    sizes: dict[Purpose, PanelSize] = field(default_factory=lambda: dict(DEFAULT_PANEL_SIZES))
    fee_rates: dict[Purpose, int] = field(default_factory=lambda: dict(DEFAULT_FEE_RATES))
    bureau_units: frozenset[str] = field(default_factory=bureau_units)

    @classmethod
    def from_env(cls) -> PanelRules:
        """``SORTES_EXPERTS_PANEL_SIZES`` (``technical_review=3:odd,research=1``; empty: no size rule) and
        ``SORTES_EXPERTS_FEE_RATES`` (``technical_review=800,…``, yuan per half-day)."""
        sizes = ",".join(f"{purpose}={size.minimum}{':odd' if size.odd else ''}"
                         for purpose, size in DEFAULT_PANEL_SIZES.items())
        rates = ",".join(f"{purpose}={rate}" for purpose, rate in DEFAULT_FEE_RATES.items())
        return cls(sizes={purpose: _size(value) for purpose, value in _purpose_map(
                       "SORTES_EXPERTS_PANEL_SIZES", sizes).items()},
                   fee_rates={purpose: int(value) for purpose, value in _purpose_map(
                       "SORTES_EXPERTS_FEE_RATES", rates).items()})


@dataclass(frozen=True)
class ExpertsSettings:
    database_url: str
    identity_public_keys: list[str] = field(default_factory=list)
    audit: AuditSettings = field(default_factory=lambda: AuditSettings.from_env("experts"))
    draw_key_file: Path = field(default_factory=lambda: Path(env_str(
        "SORTES_EXPERTS_DRAW_KEY_FILE", str(data_dir() / "keys" / "experts-draw.pem"))))
    draw_key_set_file: Path = field(default_factory=lambda: Path(env_str(
        "SORTES_EXPERTS_DRAW_KEY_SET_FILE", str(data_dir() / "keys" / "draw-key-set.json"))))
    # Of a new draw key (SORTES_CRYPTO_PROFILE): Ed25519 signs sortes-draw/1, SM2 sortes-draw/1-sm.
    draw_key_algorithm: str = field(default_factory=lambda: profile_algorithm(crypto_profile()))
    # Field encryption of phone, ID number and bank account, and the blind index of the ID number.
    data_key_file: Path = field(default_factory=lambda: _key_path(
        "SORTES_EXPERTS_DATA_KEY_FILE", "experts-data-keys"))
    data_algorithm: Algorithm = field(default_factory=lambda: data_algorithm_from_env("SORTES_EXPERTS"))
    blind_index_key_file: Path = field(default_factory=lambda: _key_path(
        "SORTES_EXPERTS_BLIND_INDEX_KEY_FILE", "experts-blind-index"))
    rules: PoolRules = field(default_factory=PoolRules.from_env)
    notify: NotifySettings = field(default_factory=notify_settings_from_env)
    panel_rules: PanelRules = field(default_factory=PanelRules.from_env)
    # How often the age-limit check runs (domain/retirement.py), besides at start-up.
    retirement_check_seconds: int = field(default_factory=lambda: env_int(
        "SORTES_EXPERTS_RETIREMENT_CHECK_SECONDS", 3600))
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
