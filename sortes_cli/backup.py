"""``sortes backup`` and ``sortes restore``: each service's database to a file and back.

PostgreSQL goes through ``pg_dump`` (custom format) and ``pg_restore``; SQLite through its online
backup API, which copies a consistent snapshot while the service goes on writing. A restore goes into
the service's own database (``SORTES_<SERVICE>_DATABASE_URL``; on PostgreSQL it is created when
missing), refuses a database that already holds tables unless ``--force``, and ends with that
service's audit chain verification. Key files are not in a backup: they are kept apart
(deploy/README.md), and without the data keys the personal data in a backup cannot be read.

Backup files are created readable by their owner only (0600). With a backup key file (``--key-file``
or ``SORTES_BACKUP_KEY_FILE``) each is sealed as well (sortes_cli/backup_files.py: ``….enc``); a
restore opens a sealed file with the same key file.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from shared.migrations import SERVICES
from shared.settings import database_url
from sortes_cli.audit import verify_service
from sortes_cli.backup_files import (
    KEY_FILE_VARIABLE,
    BackupKeyError,
    is_sealed,
    private_file,
    read_backup_key,
    seal,
    unseal,
)
from sortes_cli.errors import OperatorError, explain
from sortes_cli.postgres import (
    create_database_if_missing,
    is_postgres,
    libpq_environment,
    other_sessions,
    shown,
    table_names,
)
from sortes_cli.webhooks import resync

PG_DUMP_MAGIC, SQLITE_MAGIC = b"PGDMP", b"SQLite format 3\x00"
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


class _Refused(Exception):
    """The command cannot go on; the message says why. ``code`` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_UNUSABLE) -> None:
        super().__init__(message)
        self.code = code


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser("backup", help="copy each service's database to a file")
    backup.add_argument("--service", choices=[*SERVICES, "all"], default="all")
    backup.add_argument("--output", type=Path, required=True, help="the folder to write the files to")
    backup.add_argument("--key-file", type=Path, default=_default_key_file(),
                        help="seal each file with this backup key (32 bytes in hex); default "
                             "$SORTES_BACKUP_KEY_FILE, none: files unsealed (still mode 0600)")
    backup.set_defaults(func=run_backup)
    restore = subparsers.add_parser("restore", help="put a backup back into a service's database, then verify "
                                                    "its audit chain")
    restore.add_argument("--service", choices=SERVICES, required=True)
    restore.add_argument("--input", type=Path, required=True, help="a file written by sortes backup")
    restore.add_argument("--force", action="store_true", help="replace what the database holds now")
    restore.add_argument("--key-file", type=Path, default=_default_key_file(),
                         help="the backup key a sealed file was sealed with (default $SORTES_BACKUP_KEY_FILE)")
    restore.set_defaults(func=run_restore)


# --- backup ----------------------------------------------------------------------------------------

def _default_key_file() -> Path | None:
    named = os.environ.get(KEY_FILE_VARIABLE, "").strip()
    return Path(named) if named else None


def backup_service(service: str, output: Path, stamp: str, key_file: Path | None = None) -> Path:
    url = database_url(service)
    key = _backup_key(key_file)
    if not output.exists():
        output.mkdir(parents=True, mode=0o700)
    if is_postgres(url):
        target = private_file(output / f"{service}-{stamp}.dump")
        try:
            _pg_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], url)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    else:
        source = _sqlite_path(url)
        if not source.exists():
            raise _Refused(f"{service}: no database at {source}")
        target = private_file(output / f"{service}-{stamp}.sqlite")
        _sqlite_copy(source, target)
    if key is None:
        return target
    sealed = target.with_name(target.name + ".enc")
    try:
        seal(target, sealed, key)
    finally:
        target.unlink()
    return sealed


def _backup_key(key_file: Path | None) -> bytes | None:
    if key_file is None:
        return None
    try:
        return read_backup_key(key_file)
    except BackupKeyError as error:
        raise _Refused(str(error)) from None


def run_backup(args: argparse.Namespace) -> int:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    failed = False
    for service in SERVICES if args.service == "all" else (args.service,):
        try:
            written = backup_service(service, args.output, stamp, args.key_file)
        except _Refused as error:
            print(f"sortes backup: {error}", file=sys.stderr)
            failed = True
            continue
        print(f"{service}: {written} ({written.stat().st_size:,} bytes)")
    return EXIT_FAILED if failed else EXIT_OK


# --- restore ---------------------------------------------------------------------------------------

def restore_service(service: str, source: Path, force: bool, key_file: Path | None = None) -> None:
    _file_head(source)  # readable at all
    if not is_sealed(source):
        _restore_plain(service, source, force)
        return
    if key_file is None:
        raise _Refused(f"{source} is sealed: give the backup key with --key-file or SORTES_BACKUP_KEY_FILE")
    key = _backup_key(key_file)
    assert key is not None
    handle, name = tempfile.mkstemp(prefix=f"sortes-restore-{service}-")  # created 0600
    os.close(handle)
    opened = Path(name)
    try:
        try:
            unseal(source, opened, key)
        except BackupKeyError as error:
            raise _Refused(str(error), EXIT_FAILED) from None
        _restore_plain(service, opened, force)
    finally:
        opened.unlink(missing_ok=True)


def _restore_plain(service: str, source: Path, force: bool) -> None:
    url = database_url(service)
    head = _file_head(source)
    if is_postgres(url):
        if not head.startswith(PG_DUMP_MAGIC):
            raise _Refused(f"{source} is not a pg_dump file; {service} is on PostgreSQL ({shown(url)})")
        asyncio.run(create_database_if_missing(url))
        _refuse_unless_empty(service, asyncio.run(table_names(url)), force)
        _refuse_while_in_use(service, asyncio.run(other_sessions(url)))
        clean = ["--clean", "--if-exists"] if force else []
        _pg_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  *clean, f"--dbname={make_url(url).database}", str(source)], url)
        return
    if not head.startswith(SQLITE_MAGIC):
        raise _Refused(f"{source} is not a SQLite backup; {service} is on SQLite ({_sqlite_path(url)})")
    target = _sqlite_path(url)
    _refuse_unless_empty(service, _sqlite_tables(target), force)
    if _sqlite_in_use(target):
        raise _Refused(f"the {service} database {target} is open in another process: stop every {service} "
                       "instance (and the gateway, or sortes run) before restoring", EXIT_FAILED)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(source, target)


def run_restore(args: argparse.Namespace) -> int:
    try:
        restore_service(args.service, args.input, args.force, args.key_file)
    except _Refused as error:
        print(f"sortes restore: {error}", file=sys.stderr)
        return error.code
    print(f"{args.service}: restored from {args.input}")
    webhooks_ok = _resync_webhooks(args.service)
    report = asyncio.run(verify_service(args.service, [], []))
    if not report.ok:
        print(f"{args.service}: audit chain FAILED after the restore — {report.problem}")
        return EXIT_FAILED
    print(f"{args.service}: audit chain OK — {report.entries} entries, head {report.head_seq} "
          f"{report.head_hash[:16]}, {report.checkpoints_checked} signed checkpoints matched")
    return EXIT_OK if webhooks_ok else EXIT_FAILED


def _resync_webhooks(service: str) -> bool:
    """The gateway's webhook cursor for the restored service put back to its outbox (sortes_cli/webhooks.py)."""
    if service == "gateway":
        print("gateway: webhook cursors restored with it; events the services wrote since the backup are "
              "delivered again (at least once: subscribers tell repeats by service and seq)")
        return True
    try:
        print(asyncio.run(resync(service)).describe())
    except OperatorError as error:
        if "no database at" in str(error):  # no gateway database here: no cursor to rewind
            print(f"{service}: no gateway database here ({error}); no webhook cursor to rewind")
            return True
        print(f"sortes restore: {error}; run sortes webhooks resync --service {service} once it answers",
              file=sys.stderr)
        return False
    except Exception as error:
        print(f"sortes restore: webhook cursor not rewound ({explain(error)}); run sortes webhooks resync "
              f"--service {service} once the gateway database answers", file=sys.stderr)
        return False
    return True


def _refuse_while_in_use(service: str, sessions: int) -> None:
    """A restore under running services would mix what they write with what is restored, and their
    cached state (keys, cursors) would no longer match the database: they must be stopped first."""
    if sessions:
        raise _Refused(f"the {service} database has {sessions} other connection{'s' if sessions > 1 else ''}: "
                       f"stop every {service} instance first (systemctl stop 'sortes-{service}@*', "
                       f"kubectl scale deployment/{service} --replicas=0, or Ctrl-C sortes up), then run again",
                       EXIT_FAILED)


def _refuse_unless_empty(service: str, tables: list[str], force: bool) -> None:
    if tables and not force:
        raise _Refused(f"the {service} database already holds {len(tables)} tables "
                       f"({', '.join(sorted(tables)[:5])}{', …' if len(tables) > 5 else ''}); restore into an "
                       "empty database, or pass --force to replace what it holds", EXIT_FAILED)


# --- the two engines -------------------------------------------------------------------------------

def _pg_tool(command: list[str], url: str) -> None:
    if shutil.which(command[0]) is None:
        raise _Refused(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(command, env={**os.environ, **libpq_environment(url)}, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise _Refused(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}", EXIT_FAILED)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise _Refused(f"{url} names no SQLite file")
    return Path(database)


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    finally:
        connection.close()


def _sqlite_in_use(path: Path) -> bool:
    """Whether another process holds the database open: leaving WAL mode needs the only connection,
    so the switch fails while any other is open (the restore overwrites the file's mode anyway)."""
    if not path.exists():
        return False
    connection = sqlite3.connect(path, timeout=0.2)
    try:
        connection.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()
    return False


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy of ``source`` even while another process writes to it."""
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def _file_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise _Refused(f"cannot read {path}: {error.strerror or error}") from None
