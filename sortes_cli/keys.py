"""``sortes keys rotate-data``: a new data key for a service's personal data, and every value sealed again.

The new key goes to the top of the service's key file first, the earlier keys staying in it as
retired keys, so every value opens at every moment; then the values are sealed again batch by batch,
each batch one transaction with one audit entry. A service reading the same key file follows it
without a restart (:class:`shared.crypto.KeyFileRing`); copies of the file on other hosts must be
replaced before the command runs. Run again after a failure, the command first finishes the
rotation under the key it had added, and adds no other. The blind index key does not rotate: it
seals nothing, and a new one would mean opening every value to index it again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData

from shared.audit import Actor, AuditRecorder, AuditSettings, audit_tables, operator_actor
from shared.crypto import (
    Algorithm,
    DecryptionError,
    KeyConfigError,
    KeyRing,
    Resealed,
    data_algorithm_from_env,
    load_key_file,
    rotate_key_file,
)
from shared.db import Database
from shared.migrations import SERVICES
from shared.progress import Progress
from shared.settings import CRYPTO_PROFILES
from sortes_cli import key_files
from sortes_cli.errors import about, require_database

SEALING_SERVICES = ("experts", "vendors")
Rotation = Callable[..., Awaitable[Resealed]]  # (session, audit, actor, keyring, *, after_id, batch)


@dataclass(frozen=True)
class _PersonalData:
    key_file: Path
    algorithm: Algorithm
    rotate: Rotation
    unit: str  # what a batch's codes name, for the report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="the data keys that seal personal data, the draw-signing key")
    actions = parser.add_subparsers(dest="action", required=True)
    rotate = actions.add_parser("rotate-data", help="add a new data key and seal every value again under it")
    rotate.add_argument("--service", choices=[*SEALING_SERVICES, "all"], default="all")
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    rotate.set_defaults(func=run_rotate)
    rotate_draw = actions.add_parser("rotate-draw", help="a new draw-signing key; the old one retired, kept in the "
                                                         "key set and kept to reveal the draws it committed")
    rotate_draw.add_argument("--profile", choices=CRYPTO_PROFILES,
                             help="the new key's profile: standard (Ed25519) or sm (SM2); default "
                                  "SORTES_CRYPTO_PROFILE")
    rotate_draw.set_defaults(func=key_files.run_rotate_draw)
    rotate_audit = actions.add_parser("rotate-audit", help="a new audit checkpoint-signing key; the old one kept "
                                                           "beside it so that its checkpoints still verify")
    rotate_audit.add_argument("--service", choices=[*SERVICES, "all"], default="all")
    rotate_audit.add_argument("--profile", choices=CRYPTO_PROFILES,
                              help="the new key's profile: standard (Ed25519) or sm (SM2); default "
                                   "SORTES_CRYPTO_PROFILE")
    rotate_audit.set_defaults(func=key_files.run_rotate_audit)
    init = actions.add_parser("init", help="create every key file the services read that is missing")
    init.add_argument("--profile", choices=CRYPTO_PROFILES,
                      help="keys to create: standard (Ed25519, AES-256-GCM, HMAC-SHA256) or sm (SM2, SM4-GCM, "
                           "HMAC-SM3); default SORTES_CRYPTO_PROFILE")
    init.set_defaults(func=key_files.run_init)


def _personal_data(service: str) -> _PersonalData:
    # Imported here: only this command reaches into a service's own code, and only the one it names.
    if service == "experts":
        from services.experts.domain.personal_data import rotate_data_keys as rotate_experts
        from services.experts.settings import ExpertsSettings

        settings = ExpertsSettings.from_env()
        return _PersonalData(settings.data_key_file, settings.data_algorithm, rotate_experts, "experts")
    from services.vendors.domain.personal_data import rotate_data_keys as rotate_vendors
    from services.vendors.settings import VendorsSettings

    return _PersonalData(VendorsSettings.from_env().data_key_file, data_algorithm_from_env("SORTES_VENDORS"),
                         rotate_vendors, "vendors")


@dataclass
class _Tally:
    rows: int = 0
    values: int = 0


async def _reseal_all(database: Database, audit: AuditRecorder, actor: Actor, keyring: KeyRing,
                      rotate: Rotation, batch: int, progress: Progress, label: str) -> _Tally:
    tally, after_id = _Tally(), 0
    while True:
        async with database.transaction() as session:
            done = await rotate(session, audit, actor, keyring, after_id=after_id, batch=batch)
        if not done.codes:
            return tally
        tally.rows, tally.values, after_id = tally.rows + len(done.codes), tally.values + done.values, done.last_id
        progress.show(label, tally.values)


async def rotate_service(service: str, batch: int) -> str:
    """Rotate ``service``'s data key (or finish a rotation that stopped) and say what was done."""
    sealed = _personal_data(service)
    audit = AuditSettings.from_env(service).recorder(service, audit_tables(MetaData()))
    actor, progress = operator_actor(), Progress()
    ring = load_key_file(sealed.key_file)  # a missing key file first: nothing to do without it
    database = Database.from_url(require_database(service))
    try:
        label = f"{service}: sealed again"
        unfinished = await _reseal_all(database, audit, actor, ring, sealed.rotate, batch, progress, label)
        if unfinished.values:
            return (f"{service}: finished an unfinished rotation: {unfinished.values} values of "
                    f"{unfinished.rows} {sealed.unit} sealed again under key {ring.active.key_id}; "
                    "no new key added (run again for one)")
        ring = rotate_key_file(sealed.key_file, sealed.algorithm)
        tally = await _reseal_all(database, audit, actor, ring, sealed.rotate, batch, progress, label)
    finally:
        progress.end()
        await database.dispose()
    return (f"{service}: new data key {ring.active.key_id} in {sealed.key_file}; {tally.values} values of "
            f"{tally.rows} {sealed.unit} sealed again under it; retired keys kept for opening: "
            f"{', '.join(key.key_id for key in ring.retired)}")


def run_rotate(args: argparse.Namespace) -> int:
    if args.batch < 1:
        print("sortes keys rotate-data: --batch must be at least 1", file=sys.stderr)
        return 2
    for service in SEALING_SERVICES if args.service == "all" else (args.service,):
        try:
            with about(service, passing=(KeyConfigError, DecryptionError)):
                print(asyncio.run(rotate_service(service, args.batch)))
        except KeyConfigError as error:
            print(f"sortes keys rotate-data: {service}: {error}", file=sys.stderr)
            return 2
        except DecryptionError as error:
            print(f"sortes keys rotate-data: {service}: a value does not open ({error}); the values before "
                  "it are sealed under the active key. Put the missing key back in the key file and run again.",
                  file=sys.stderr)
            return 1
    return 0
