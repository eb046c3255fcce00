"""``sortes keys init``, ``rotate-draw`` and ``rotate-audit``: the key files the services read.

Every key file has a variable naming it; unset, it lies in ``$SORTES_DATA_DIR/keys``. ``init``
creates the missing ones (owner-readable only) and keeps the others, so that a deployment can make
its keys once, before any service starts, and hand each service its own (deploy/README.md).

``--profile sm`` (or ``SORTES_CRYPTO_PROFILE=sm``) makes the new keys those of the commercial-cryptography
profile: SM2 signing keys, SM4-GCM data keys, HMAC-SM3 blind index keys. Existing keys are kept as they
are: a deployment moves to the profile by rotating them (``rotate-draw``), never by rewriting history.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.audit import AuditSettings
from shared.crypto import data_algorithm_from_env, ensure_blind_index_key_file, ensure_key_file
from shared.migrations import SERVICES
from shared.private_files import create_private_file, replace_private_file
from shared.settings import SM_PROFILE, crypto_profile, data_dir
from shared.signing_keys import (
    ensure_private_key,
    ensure_secret_file,
    ensure_signing_key,
    generate_signing_key,
    load_signing_key,
    profile_algorithm,
    public_key_text,
    signing_key_id,
    signing_key_pem,
)


@dataclass(frozen=True)
class KeyFile:
    service: str
    what: str
    variable: str
    path: Path
    create: Callable[[Path], object]


def key_files(profile: str | None = None) -> list[KeyFile]:
    """Every key file the three services read, as the environment places them now; missing ones are made
    for ``profile`` (``standard`` or ``sm``; by default SORTES_CRYPTO_PROFILE)."""
    # Imported here: only the key commands reach into the services' own settings.
    from services.experts.domain.draw_keys import load_draw_keys
    from services.experts.settings import ExpertsSettings
    from services.gateway.settings import GatewaySettings
    from services.vendors.settings import VendorsSettings

    gateway, experts, vendors = GatewaySettings.from_env(), ExpertsSettings.from_env(), VendorsSettings.from_env()
    profile = profile or crypto_profile()
    signing, index_hash = profile_algorithm(profile), "sm3" if profile == SM_PROFILE else "sha256"
    sign_name = "SM2" if profile == SM_PROFILE else "Ed25519"
    environ = {**os.environ, "SORTES_CRYPTO_PROFILE": profile}
    experts_data, vendors_data = (data_algorithm_from_env(f"SORTES_{name}", environ) for name in ("EXPERTS", "VENDORS"))
    files = [
        KeyFile("gateway", "identity assertion signing key (Ed25519)", "SORTES_GATEWAY_IDENTITY_KEY_FILE",
                gateway.identity_key_file, ensure_private_key),
        KeyFile("gateway", "API key digest secret (HMAC)", "SORTES_GATEWAY_API_KEY_SECRET_FILE",
                gateway.api_key_secret_file, ensure_secret_file),
        KeyFile("gateway", "stored answers' data keys (AES-256-GCM)", "SORTES_GATEWAY_DATA_KEY_FILE",
                gateway.data_key_file, ensure_key_file),
        KeyFile("experts", f"draw-signing key ({sign_name})", "SORTES_EXPERTS_DRAW_KEY_FILE",
                experts.draw_key_file, lambda path: load_draw_keys(path, experts.draw_key_set_file, signing)),
        KeyFile("experts", "published draw key set (public)", "SORTES_EXPERTS_DRAW_KEY_SET_FILE",
                experts.draw_key_set_file, lambda path: load_draw_keys(experts.draw_key_file, path, signing)),
        KeyFile("experts", "personal data keys", "SORTES_EXPERTS_DATA_KEY_FILE", experts.data_key_file,
                lambda path: ensure_key_file(path, experts_data)),
        KeyFile("experts", "blind index key", "SORTES_EXPERTS_BLIND_INDEX_KEY_FILE", experts.blind_index_key_file,
                lambda path: ensure_blind_index_key_file(path, index_hash)),
        KeyFile("vendors", "personal data keys", "SORTES_VENDORS_DATA_KEY_FILE", vendors.data_key_file,
                lambda path: ensure_key_file(path, vendors_data)),
        KeyFile("vendors", "blind index key", "SORTES_VENDORS_BLIND_INDEX_KEY_FILE", vendors.blind_index_key_file,
                lambda path: ensure_blind_index_key_file(path, index_hash)),
    ]
    for service in SERVICES:
        audit, prefix = AuditSettings.from_env(service), f"SORTES_{service.upper()}_AUDIT"
        files += [KeyFile(service, "audit digest key (HMAC)", f"{prefix}_DIGEST_KEY_FILE", audit.digest_key_file,
                          ensure_secret_file),
                  KeyFile(service, f"audit checkpoint signing key ({sign_name})", f"{prefix}_SIGNING_KEY_FILE",
                          audit.signing_key_file, lambda path: ensure_signing_key(path, signing))]
    return files


def identity_public_key_file() -> Path:
    """Where experts and vendors look for the gateway's public key when SORTES_IDENTITY_PUBLIC_KEYS is unset."""
    return data_dir() / "keys" / "identity.pub"


def run_init(args: argparse.Namespace) -> int:
    from services.gateway.settings import GatewaySettings

    profile = getattr(args, "profile", None) or crypto_profile()
    files = key_files(profile)
    existing = {key.path for key in files if key.path.exists()}
    for key in files:
        key.create(key.path)
        kept = key.path in existing
        print(f"{key.service:<8} {'kept   ' if kept else 'created'} {key.path}  ({key.what}; {key.variable})")
    public = public_key_text(ensure_private_key(GatewaySettings.from_env().identity_key_file).public_key())
    published = identity_public_key_file()
    published.parent.mkdir(parents=True, exist_ok=True)
    published.write_text(public + "\n")
    print(f"gateway  wrote   {published}  (the identity public key: SORTES_IDENTITY_PUBLIC_KEYS={public})")
    if profile == SM_PROFILE and crypto_profile() != SM_PROFILE:
        print("new keys are those of the commercial-cryptography profile; run the services with "
              "SORTES_CRYPTO_PROFILE=sm so that their audit entries are hashed with SM3")
    return 0


def run_rotate_draw(args: argparse.Namespace) -> int:
    from services.experts.domain.draw_keys import rotate_draw_keys
    from services.experts.settings import ExpertsSettings

    settings = ExpertsSettings.from_env()
    profile = getattr(args, "profile", None) or crypto_profile()
    try:
        done = rotate_draw_keys(settings.draw_key_file, settings.draw_key_set_file, profile_algorithm(profile))
    except (OSError, ValueError) as error:
        print(f"sortes keys rotate-draw: {error}", file=sys.stderr)
        return 2
    print(f"experts: new draw-signing key {done.active_key_id} ({done.active_algorithm}) in "
          f"{settings.draw_key_file}; key {done.retired_key_id} retired at {done.at} ({done.retired_algorithm}), "
          f"still listed in {settings.draw_key_set_file} and kept in {done.retired_key_file} to reveal the draws "
          "committed under it")
    return 0


def rotate_audit_key(key_file: Path, algorithm: str) -> tuple[str, str, Path]:
    """A new checkpoint-signing key of ``algorithm``; the old one kept beside it (``<name>-<key id>.pem``),
    where the service and ``sortes audit verify`` find it, so the checkpoints it signed still verify.
    Returns (old key id, new key id, where the old key is kept)."""
    old = load_signing_key(key_file)
    kept = key_file.with_name(f"{key_file.stem}-{signing_key_id(old)}{key_file.suffix}")
    if not kept.exists():
        create_private_file(kept, signing_key_pem(old))
    new = generate_signing_key(algorithm)
    replace_private_file(key_file, signing_key_pem(new))
    return signing_key_id(old), signing_key_id(new), kept


def run_rotate_audit(args: argparse.Namespace) -> int:
    profile = getattr(args, "profile", None) or crypto_profile()
    for service in SERVICES if args.service == "all" else (args.service,):
        key_file = AuditSettings.from_env(service).signing_key_file
        try:
            old, new, kept = rotate_audit_key(key_file, profile_algorithm(profile))
        except (OSError, ValueError) as error:
            print(f"sortes keys rotate-audit: {service}: {error}", file=sys.stderr)
            return 2
        print(f"{service}: new audit checkpoint key {new} ({profile_algorithm(profile)}) in {key_file}; key {old} "
              f"kept in {kept} so that its checkpoints still verify. Restart the service to sign with the new key.")
    return 0
