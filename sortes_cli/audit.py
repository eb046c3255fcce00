"""``sortes audit``: verify a service's audit chain, sign its head, export checkpoints for safe-keeping."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from pathlib import Path

from sqlalchemy import MetaData

from shared.audit.chain import ChainReport
from shared.audit.checkpoints import SignedCheckpoint
from shared.audit.rows import AuditedRows
from shared.audit.settings import AuditSettings
from shared.audit.store import stored_checkpoints, verify_stored_chain, verify_stored_rows
from shared.audit.tables import AuditTables, audit_tables
from shared.db import Database
from shared.draw.keys import PublicKeyEntry, b64url_encode
from shared.migrations import SERVICES
from shared.signing_keys import load_signing_key, public_entry_from_text, signing_public_entry, signing_public_key
from sortes_cli.errors import about, require_database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the tamper-evident audit logs")
    actions = parser.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="check a service's chain and its signed checkpoints")
    verify.add_argument("--service", choices=[*SERVICES, "all"], default="all")
    verify.add_argument("--checkpoints", type=Path, action="append", default=[],
                        help="checkpoints kept off the host: a file written by export-checkpoints, JSON lines of "
                             "delivered checkpoints, or the webhook receiver's bodies (may be repeated)")
    verify.add_argument("--public-key", action="append", default=[],
                        help="a checkpoint key (base64url: Ed25519 raw 32 bytes, or SM2 04 ‖ X ‖ Y) besides the "
                             "service's own key files")
    verify.add_argument("--workers", type=int, default=None,
                        help="processes walking segments of the chain (default: one per core for long chains)")
    verify.set_defaults(func=run_verify)
    checkpoint = actions.add_parser("checkpoint", help="sign the current head now")
    checkpoint.add_argument("--service", choices=SERVICES, required=True)
    checkpoint.set_defaults(func=run_checkpoint)
    baseline = actions.add_parser("baseline", help="digest the rows that predate row digests (once; each service "
                                  "also does it at its first start)")
    baseline.add_argument("--service", choices=SERVICES, required=True)
    baseline.set_defaults(func=run_baseline)
    export = actions.add_parser("export-checkpoints", help="sign the head and write every checkpoint to a file")
    export.add_argument("--service", choices=SERVICES, required=True)
    export.add_argument("--output", type=Path, required=True)
    export.set_defaults(func=run_export)


def _tables() -> AuditTables:
    return audit_tables(MetaData())


def _own_public_keys(service: str) -> list[PublicKeyEntry]:
    """The service's checkpoint key and the earlier ones kept beside it."""
    settings = AuditSettings.from_env(service)
    key_file = settings.signing_key_file
    active = [signing_public_entry(load_signing_key(key_file))] if key_file.exists() else []
    return [*settings.retired_public_keys(), *active]


_CHECKPOINT_FIELDS = ("service", "seq", "entry_hash", "signed_at", "key_id", "signature")


def _read_exported(paths: list[Path]) -> list[SignedCheckpoint]:
    """Checkpoints from export-checkpoints' documents, or from JSON lines of delivered checkpoints: each
    line a checkpoint's payload, or a webhook body (``{"event": "audit.checkpoint", "data": {…}}``);
    lines of other events, as a webhook receiver writes them all, are passed over."""
    checkpoints: list[SignedCheckpoint] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None
        if isinstance(document, dict) and "checkpoints" in document:
            checkpoints += [SignedCheckpoint(**{**item, "service": document["service"]})
                            for item in document["checkpoints"]]
            continue
        items = [document] if isinstance(document, dict) else [json.loads(line) for line in text.splitlines()
                                                                if line.strip()]
        for item in items:
            if "event" in item:
                if item["event"] != "audit.checkpoint":
                    continue
                item = item["data"]
            checkpoints.append(SignedCheckpoint(**{name: item[name] for name in _CHECKPOINT_FIELDS}))
    return checkpoints


def _audited_rows(service: str) -> AuditedRows:
    return importlib.import_module(f"services.{service}.models").AUDITED_ROWS


async def verify_service(service: str, extra_keys: list[PublicKeyEntry], exported: list[SignedCheckpoint],
                         workers: int | None = None) -> ChainReport:
    keys = [*_own_public_keys(service), *extra_keys]
    return await verify_stored_chain(require_database(service), _tables(), service, {key.key_id: key for key in keys},
                                     [c for c in exported if c.service == service], workers)


async def verify_service_rows(service: str) -> list[str] | None:
    """The rows changed behind the log; None when the digest key is not here to check them with."""
    key_file = AuditSettings.from_env(service).digest_key_file
    if not key_file.exists():
        return None
    return await verify_stored_rows(require_database(service), _tables(), _audited_rows(service),
                                    bytes.fromhex(key_file.read_text().strip()))


def run_verify(args: argparse.Namespace) -> int:
    try:
        exported = _read_exported(args.checkpoints)
        extra_keys = [public_entry_from_text(text) for text in args.public_key]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"sortes audit verify: cannot read the checkpoints or keys given: {error}", file=sys.stderr)
        return 2
    services = SERVICES if args.service == "all" else (args.service,)
    failed = False
    for service in services:
        with about(service):
            report = asyncio.run(verify_service(service, extra_keys, exported, args.workers))
            rows = asyncio.run(verify_service_rows(service))
        if report.ok:
            print(f"{service}: OK — {report.entries} entries, head {report.head_seq} "
                  f"{report.head_hash[:16]}, {report.checkpoints_checked} signed checkpoints matched")
        else:
            failed = True
            print(f"{service}: FAILED — {report.problem}")
        if rows is None:
            print(f"{service}: rows not checked — no audit digest key here")
        elif rows:
            failed = True
            for problem in rows:
                print(f"{service}: FAILED — row {problem}")
        else:
            print(f"{service}: OK — every audited row is as its latest audit entry left it")
    return 1 if failed else 0


async def _sign_head(service: str) -> tuple[list[SignedCheckpoint], str]:
    tables = _tables()
    settings = AuditSettings.from_env(service)
    models = importlib.import_module(f"services.{service}.models")
    # Signed here or in the service, a checkpoint goes out the same way: an outbox event for the webhooks.
    recorder = settings.recorder(service, tables, rows=models.AUDITED_ROWS, outbox=models.OUTBOX)
    database = Database.from_url(require_database(service))
    try:
        async with database.transaction() as session:
            await recorder.checkpoint(session)
        async with database.engine.connect() as connection:
            checkpoints = await stored_checkpoints(connection, tables, service)
    finally:
        await database.dispose()
    return checkpoints, b64url_encode(signing_public_key(load_signing_key(settings.signing_key_file)))


def run_checkpoint(args: argparse.Namespace) -> int:
    checkpoints, _ = asyncio.run(_sign_head(args.service))
    if not checkpoints:
        print(f"{args.service}: the audit log is empty; nothing to sign")
        return 0
    head = checkpoints[-1]
    print(f"{args.service}: checkpoint at entry {head.seq} ({head.entry_hash[:16]}) signed with key {head.key_id}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    checkpoints, public_key = asyncio.run(_sign_head(args.service))
    document = {"format": "sortes-audit-checkpoints/1", "service": args.service, "public_key": public_key,
                "checkpoints": [{k: v for k, v in c.to_json().items() if k != "service"} for c in checkpoints]}
    args.output.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.service}: {len(checkpoints)} checkpoints written to {args.output}")
    return 0


async def _take_baseline(service: str) -> int:
    models = importlib.import_module(f"services.{service}.models")
    recorder = AuditSettings.from_env(service).recorder(service, _tables(), rows=models.AUDITED_ROWS)
    database = Database.from_url(require_database(service))
    try:
        async with database.transaction() as session:
            return await recorder.baseline(session)
    finally:
        await database.dispose()


def run_baseline(args: argparse.Namespace) -> int:
    count = asyncio.run(_take_baseline(args.service))
    print(f"{args.service}: baseline of {count} rows taken" if count else
          f"{args.service}: the baseline was taken before; nothing to do")
    return 0
